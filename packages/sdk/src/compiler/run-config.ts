import { resolve } from 'node:path'
import { excerpt, NAME_RULE, nameProblem, quote, StrataError, toFlavorJsonSchema } from '@strata/core'
import { z } from 'zod'
import { readInputFile } from '../util/read-input-file.js'

const FAILURE_MODES = ['fail_fast', 'stop_on_failure', 'continue_on_failure'] as const

/** A name a user gives in a run configuration (run, schedule, model): the rule of every name. */
const nameSchema = z.string().superRefine((name, context) => {
  const problem = nameProblem(name)
  if (problem) context.addIssue({ code: 'custom', message: `${quote(name)} ${problem} (${NAME_RULE})` })
})

const retrySchema = z
  .object({
    maxRetries: z.number().int().min(0).describe('Attempts after the first'),
    delay: z.number().min(0).describe('Milliseconds before the first retry'),
    backoff: z.number().min(1).describe('Multiplier applied to the delay after each retry'),
  })
  .partial()
  .strict()

const settingsSchema = z
  .record(z.string().regex(/^[a-z_]+\.[a-z0-9_-]+$/), z.record(z.string(), z.unknown()))
  .describe("Component settings keyed '<component type>.<flavor>', e.g. 'orchestrator.local'")

const modelSchema = z
  .object({
    name: nameSchema,
    version: z
      .union([z.string(), z.number().int()])
      .optional()
      .describe('Number, name, stage or "latest"; absent = a new version'),
  })
  .strict()

const executionSchema = {
  cache: z.boolean().optional().describe('Reuse outputs of an identical earlier execution'),
  cacheVersion: z.string().optional().describe('Bump to invalidate cached results'),
  retry: retrySchema.optional(),
  settings: settingsSchema.optional(),
  experimentTracker: z.union([z.boolean(), z.string()]).optional(),
  model: modelSchema.optional(),
}

const stepRunConfigSchema = z
  .object({
    parameters: z.record(z.string(), z.unknown()).optional().describe("The step's parameters"),
    ...executionSchema,
  })
  .strict()

/** The run configuration file (`--config run.yaml`), and the shape of `run()` overrides. */
/** Standard five-field cron: minute, hour, day of month, month, day of week. */
const cronSchema = z
  .string()
  .trim()
  .refine((value) => /^([\w*/,?-]+\s+){4}[\w*/,?-]+$/.test(value), {
    message:
      "must be a five-field cron expression (minute hour day-of-month month day-of-week), e.g. '0 6 * * *'",
  })

const scheduleSchema = z
  .object({
    cron: cronSchema.describe('When to run: five-field cron, e.g. "0 6 * * *"'),
    timeZone: z
      .string()
      .optional()
      .describe('IANA time zone of the cron, e.g. "Europe/Berlin". Default: UTC'),
    name: nameSchema.optional().describe("The schedule's name. Default: <pipeline>-<short id>"),
  })
  .strict()

export const runConfigSchema = z
  .object({
    runName: nameSchema.optional().describe('Name of the run; default <pipeline>-<date>-<time>-<random>'),
    parameters: z.record(z.string(), z.unknown()).optional().describe("The pipeline's parameters"),
    failureMode: z.enum(FAILURE_MODES).optional(),
    ...executionSchema,
    steps: z.record(z.string(), stepRunConfigSchema).optional().describe('Per invocation id'),
    schedule: scheduleSchema
      .optional()
      .describe('Run on a cron schedule instead of now (an orchestrator that keeps schedules: kubernetes)'),
  })
  .strict()

export type RunConfig = z.infer<typeof runConfigSchema>
export type ScheduleConfig = z.infer<typeof scheduleSchema>
export type StepRunConfig = z.infer<typeof stepRunConfigSchema>

/** The JSON Schema of run configuration files (`strata pipeline config-schema`). */
export function runConfigJsonSchema(): Record<string, unknown> {
  return { title: 'Strata run configuration', ...toFlavorJsonSchema(runConfigSchema) }
}

/**
 * Validates a run configuration object.
 * @throws StrataError `INVALID_RUN_CONFIG` naming the source and each bad field
 */
export function parseRunConfig(value: unknown, source: string): RunConfig {
  const result = runConfigSchema.safeParse(value ?? {})
  if (result.success) return result.data
  // Bounded: a key or value of a huge or hostile file is quoted as an excerpt, its controls escaped.
  const problems = result.error.issues.slice(0, 10).map((issue) => {
    const path = excerpt(issue.path.join('.') || '(top level)')
    if (issue.code === 'unrecognized_keys')
      return `${path}: unknown key(s) ${issue.keys.map((key) => excerpt(key)).join(', ')}`
    return `${path}: ${excerpt(issue.message, 400)}`
  })
  if (result.error.issues.length > 10) problems.push(`and ${result.error.issues.length - 10} more`)
  throw new StrataError(
    'INVALID_RUN_CONFIG',
    `run config ${source} is invalid: ${problems.join('; ')} — see 'strata pipeline config-schema' for the allowed keys`,
  )
}

/**
 * Reads and validates a YAML (or JSON) run configuration file, refusing one larger than 1 MiB before
 * reading it (large data belongs in artifacts and parameters of steps, not in the file).
 * @throws StrataError `INVALID_RUN_CONFIG` for unreadable, malformed or invalid files, `INPUT_TOO_LARGE`
 */
export async function loadRunConfig(path: string, cwd: string = process.cwd()): Promise<RunConfig> {
  const file = resolve(cwd, path)
  let text: string
  try {
    text = readInputFile(file, {
      what: 'run config',
      fix: 'keep data out of the run configuration: load it in a step, or pass it as an artifact',
    })
  } catch (error) {
    if ((error as StrataError).code === 'INPUT_TOO_LARGE') throw error
    throw new StrataError(
      'INVALID_RUN_CONFIG',
      `cannot read run config ${file}: ${(error as Error).message} — check the path`,
      {
        cause: error,
      },
    )
  }
  const { parse } = await import('yaml')
  let value: unknown
  try {
    value = parse(text)
  } catch (error) {
    throw new StrataError(
      'INVALID_RUN_CONFIG',
      `run config ${file} is not valid YAML: ${excerpt((error as Error).message.split('\n')[0] ?? '', 200)} — fix the syntax`,
      { cause: error },
    )
  }
  return parseRunConfig(value, file)
}
