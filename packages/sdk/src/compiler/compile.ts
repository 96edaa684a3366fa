import {
  assertName,
  type FailureMode,
  type JsonObject,
  type ModelReference,
  type RetryPolicy,
  type StepOutputSpec,
  StrataError,
} from '@strata/core'
import type { z } from 'zod'
import { Compilation, type Invocation } from '../dsl/compilation.js'
import type { RuntimeHandle } from '../dsl/handles.js'
import type {
  ExecutionConfig,
  FailureHook,
  Settings,
  StepDefinition,
  SuccessHook,
} from '../dsl/step-definition.js'
import { findNonJson } from '../util/json.js'
import type { RunConfig } from './run-config.js'

/**
 * A model reference whose name keeps the rule of every name (a run records the model by it).
 * @throws StrataError `INVALID_NAME`
 */
function named(where: string, model: ModelReference | undefined): ModelReference | undefined {
  if (model) assertName('model name', model.name, where)
  return model
}

/** What `pipeline()` records. */
export interface PipelineDefinition {
  name: string
  params: z.ZodObject | undefined
  body: (params: Record<string, unknown>) => unknown
  config: ExecutionConfig & { failureMode?: FailureMode; onSuccess?: SuccessHook; onFailure?: FailureHook }
  module: string | undefined
}

/** A step input before the run resolves artifact references. */
export type CompiledInput =
  | { kind: 'step'; step: string; output: string }
  | { kind: 'artifact'; name: string; version: number | undefined }

export interface CompiledStep {
  id: string
  definition: StepDefinition
  inputs: Record<string, CompiledInput>
  parameters: JsonObject
  upstream: string[]
  outputs: Record<string, StepOutputSpec>
  settings: JsonObject
  retry: RetryPolicy
  cache: { enabled: boolean; version?: string }
  experimentTracker: boolean | string
  model: ModelReference | undefined
  env: string[]
  secrets: string[]
}

export interface CompiledPipeline {
  pipelineName: string
  parameters: JsonObject
  failureMode: FailureMode
  settings: JsonObject
  model: ModelReference | undefined
  runName: string | undefined
  /** In topological order. */
  steps: CompiledStep[]
}

/** The sources of configuration, lowest precedence first after the code: file, then `run()` arguments. */
export interface CompileSources {
  /** The pipeline's parameters as given to `run()`. */
  params?: Record<string, unknown>
  /** The run configuration file, already validated. */
  file?: { config: RunConfig; source: string }
  /** `run()` overrides. */
  args?: RunConfig
}

const DEFAULT_RETRY: RetryPolicy = { maxRetries: 0, delay: 0, backoff: 1 }
const DEFAULT_FAILURE_MODE: FailureMode = 'continue_on_failure'

/** Parses parameters, refusing keys the schema does not declare (a misspelled parameter must not pass silently). */
function parseParams(
  schema: z.ZodObject,
  raw: Record<string, unknown>,
  where: string,
): Record<string, unknown> {
  const known = Object.keys(schema.shape)
  const unknown = Object.keys(raw).filter((key) => !known.includes(key))
  if (unknown.length > 0) {
    throw new StrataError(
      'INVALID_PARAMETERS',
      `${where}: unknown parameter${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} — its parameters are: ${known.join(', ') || 'none'}`,
    )
  }
  const parsed = schema.safeParse(raw)
  if (!parsed.success)
    throw new StrataError(
      'INVALID_PARAMETERS',
      `${where}: parameters are invalid: ${zodProblems(parsed.error)}`,
    )
  return parsed.data as Record<string, unknown>
}

function zodProblems(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(value)'}: ${issue.message}`).join('; ')
}

function mergeSettings(...layers: Array<Settings | undefined>): Settings {
  const merged: Settings = {}
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer ?? {})) merged[key] = { ...merged[key], ...value }
  }
  return merged
}

/** The last defined value. */
function pick<T>(...values: Array<T | undefined>): T | undefined {
  let result: T | undefined
  for (const value of values) if (value !== undefined) result = value
  return result
}

function asJson(value: unknown, what: string): JsonObject {
  const problem = findNonJson(value)
  if (problem) {
    throw new StrataError(
      'INVALID_PARAMETERS',
      `${what}: ${problem.path} is ${problem.found}, which is not JSON — ${problem.hint}`,
    )
  }
  return value as JsonObject
}

/**
 * A step's experiment tracker opt-in: the last one set, code first. A step that declares one in code
 * (`true` or a name) is typed with `ctx.experimentTracker` present, so configuration may not turn it off.
 */
function experimentTrackerOf(
  where: string,
  declared: boolean | string | undefined,
  inCode: boolean | string | undefined,
  configured: ReadonlyArray<readonly [source: string, value: boolean | string | undefined]>,
): boolean | string {
  let result = inCode
  let setBy = 'code'
  for (const [source, value] of configured) {
    if (value === undefined) continue
    result = value
    setBy = source
  }
  if (result === false && declared !== undefined && declared !== false) {
    throw new StrataError(
      'CONFLICTING_EXPERIMENT_TRACKER',
      `${where} declares experimentTracker: ${JSON.stringify(declared)} in code, so its ctx.experimentTracker is always present, but ${setBy} sets it to false — remove one of the two`,
    )
  }
  return result ?? false
}

/** The invocations in an order where each comes after its upstream steps (`upstream`: parent ids by id). */
function topologicalOrder(
  invocations: readonly Invocation[],
  upstream: Map<string, string[]>,
  pipelineName: string,
): Invocation[] {
  const parentsOf = (id: string): string[] => upstream.get(id) ?? []
  // Handles only point backwards, so the body's own order is topological unless 'after' names a later step.
  const position = new Map(invocations.map((invocation, index) => [invocation.id, index]))
  const earlier = (parent: string, index: number): boolean => (position.get(parent) ?? index) < index
  if (
    invocations.every((invocation, index) =>
      parentsOf(invocation.id).every((parent) => earlier(parent, index)),
    )
  )
    return [...invocations]
  const waiting = new Map<string, number>()
  const downstream = new Map<string, Invocation[]>()
  for (const invocation of invocations) {
    const parents = parentsOf(invocation.id)
    waiting.set(invocation.id, parents.length)
    for (const parent of parents) {
      const children = downstream.get(parent)
      if (children) children.push(invocation)
      else downstream.set(parent, [invocation])
    }
  }
  const order: Invocation[] = []
  // The queue grows while it is walked: for...of over an array sees what is pushed behind it.
  const queue = invocations.filter((invocation) => waiting.get(invocation.id) === 0)
  for (const invocation of queue) {
    order.push(invocation)
    for (const child of downstream.get(invocation.id) ?? []) {
      const left = (waiting.get(child.id) ?? 1) - 1
      waiting.set(child.id, left)
      if (left === 0) queue.push(child)
    }
  }
  if (order.length < invocations.length) {
    // Walk upstream edges from any step left over until one repeats: that is a cycle. Every step left over
    // waits on another one left over, so the walk always finds a parent to go on with.
    const done = new Set(order.map((invocation) => invocation.id))
    const leftOver = (ids: string[]) => ids.find((id) => !done.has(id))
    let current = leftOver(invocations.map((invocation) => invocation.id))
    const seen: string[] = []
    while (current !== undefined && !seen.includes(current)) {
      seen.push(current)
      current = leftOver(parentsOf(current))
    }
    const cycle = current === undefined ? seen : [...seen.slice(seen.indexOf(current)), current].reverse()
    throw new StrataError(
      'PIPELINE_CYCLE',
      `pipeline '${pipelineName}' has a cycle: ${cycle.join(' → ')} — remove one of these 'after' dependencies`,
      { details: { cycle } },
    )
  }
  return order
}

/**
 * Runs a pipeline body once with placeholders and merges its configuration into compiled steps in
 * topological order. Precedence, lowest first: pipeline definition < step definition < run config file
 * (pipeline level < step level) < `run()` arguments (pipeline level < step level). A step parameter set in
 * code and differently in configuration is an error. Linear in the number of steps and edges.
 * @throws StrataError naming the pipeline, the step and the fix
 */
export function compilePipeline(
  definition: PipelineDefinition,
  sources: CompileSources = {},
): CompiledPipeline {
  const name = definition.name
  const file = sources.file?.config ?? {}
  const args = sources.args ?? {}

  const rawParams = { ...file.parameters, ...args.parameters, ...sources.params }
  let params: Record<string, unknown> = rawParams
  if (definition.params) {
    params = parseParams(definition.params, rawParams, `pipeline '${name}'`)
  } else if (Object.keys(rawParams).length > 0) {
    throw new StrataError(
      'INVALID_PARAMETERS',
      `pipeline '${name}' takes no parameters but got ${Object.keys(rawParams).join(', ')} — declare them with pipeline({ params: z.object({...}) })`,
    )
  }
  const parameters = asJson(params, `pipeline '${name}' parameters`)

  const compilation = new Compilation(name)
  const result = compilation.run(() => definition.body(params))
  if (typeof (result as { then?: unknown } | undefined)?.then === 'function') {
    throw new StrataError(
      'ASYNC_PIPELINE_BODY',
      `pipeline '${name}': the body returned a promise — pipeline bodies are synchronous: call steps without await and do async work inside steps`,
    )
  }
  if (compilation.invocations.length === 0) {
    throw new StrataError(
      'EMPTY_PIPELINE',
      `pipeline '${name}' calls no steps — call at least one step in its body`,
    )
  }

  for (const configured of [...Object.keys(file.steps ?? {}), ...Object.keys(args.steps ?? {})]) {
    if (!compilation.get(configured)) {
      throw new StrataError(
        'UNKNOWN_STEP',
        `run config names step '${configured}', which pipeline '${name}' does not have — its steps are: ${compilation.invocations.map((i) => i.id).join(', ')}`,
      )
    }
  }

  const upstream = new Map<string, string[]>()
  for (const invocation of compilation.invocations) {
    const parents = new Set<string>()
    for (const input of Object.values(invocation.inputs)) if (input.kind === 'output') parents.add(input.step)
    for (const id of invocation.after) {
      if (!compilation.get(id)) {
        throw new StrataError(
          'DANGLING_INPUT',
          `step '${invocation.id}' in pipeline '${name}' runs after '${id}', which is not a step of this pipeline — use the id of a step called in the body`,
        )
      }
      if (id === invocation.id) {
        throw new StrataError(
          'PIPELINE_CYCLE',
          `step '${id}' in pipeline '${name}' runs after itself — remove it from its own 'after'`,
        )
      }
      parents.add(id)
    }
    upstream.set(invocation.id, [...parents])
  }
  const order = topologicalOrder(compilation.invocations, upstream, name)
  const pipelineConfig = definition.config

  const steps = order.map((invocation): CompiledStep => {
    const { id } = invocation
    const step = invocation.definition
    const config = step.config
    const fileStep = file.steps?.[id] ?? {}
    const argsStep = args.steps?.[id] ?? {}
    const where = `step '${id}' in pipeline '${name}'`

    const codeParams = invocation.params ?? {}
    for (const [source, configured] of [
      [sources.file?.source ?? 'the run config', fileStep.parameters],
      ['run() arguments', argsStep.parameters],
    ] as const) {
      for (const [key, value] of Object.entries(configured ?? {})) {
        if (key in codeParams && JSON.stringify(codeParams[key]) !== JSON.stringify(value)) {
          throw new StrataError(
            'CONFLICTING_PARAMETER',
            `${where}: parameter '${key}' is ${JSON.stringify(codeParams[key])} in code but ${JSON.stringify(value)} in ${source} — set it in one place`,
          )
        }
      }
    }
    const rawStepParams = { ...codeParams, ...fileStep.parameters, ...argsStep.parameters }
    let stepParams: Record<string, unknown> = rawStepParams
    if (step.params) {
      stepParams = parseParams(step.params, rawStepParams, where)
    } else if (Object.keys(rawStepParams).length > 0) {
      throw new StrataError(
        'INVALID_PARAMETERS',
        `${where} takes no parameters but got ${Object.keys(rawStepParams).join(', ')} — declare them with step({ params: z.object({...}) })`,
      )
    }

    const inputs: Record<string, CompiledInput> = {}
    for (const [input, handle] of Object.entries(invocation.inputs) as Array<[string, RuntimeHandle]>) {
      inputs[input] =
        handle.kind === 'output'
          ? { kind: 'step', step: handle.step, output: handle.output }
          : { kind: 'artifact', name: handle.artifactName, version: handle.version }
    }

    const outputs: Record<string, StepOutputSpec> = {}
    for (const output of step.outputs ?? ['output']) {
      const artifact = config.artifacts?.[output] ?? {}
      outputs[output] = {
        artifactName: artifact.name ?? `${name}::${id}::${output}`,
        kind: artifact.kind ?? 'data',
        ...(artifact.materializer ? { materializer: artifact.materializer } : {}),
      }
    }

    const retry = {
      ...DEFAULT_RETRY,
      ...pipelineConfig.retry,
      ...config.retry,
      ...file.retry,
      ...fileStep.retry,
      ...args.retry,
      ...argsStep.retry,
    }
    const cacheVersion = pick(
      pipelineConfig.cacheVersion,
      config.cacheVersion,
      file.cacheVersion,
      fileStep.cacheVersion,
      args.cacheVersion,
      argsStep.cacheVersion,
    )
    return {
      id,
      definition: step,
      inputs,
      parameters: asJson(stepParams, `${where} parameters`),
      upstream: upstream.get(id) ?? [],
      outputs,
      settings: asJson(
        mergeSettings(
          pipelineConfig.settings,
          config.settings,
          file.settings,
          fileStep.settings,
          args.settings,
          argsStep.settings,
        ),
        `${where} settings`,
      ),
      retry,
      cache: {
        enabled:
          pick(pipelineConfig.cache, config.cache, file.cache, fileStep.cache, args.cache, argsStep.cache) ??
          true,
        ...(cacheVersion === undefined ? {} : { version: cacheVersion }),
      },
      experimentTracker: experimentTrackerOf(
        where,
        config.experimentTracker,
        pick(pipelineConfig.experimentTracker, config.experimentTracker),
        [
          [
            sources.file?.source ?? 'the run config',
            pick(file.experimentTracker, fileStep.experimentTracker),
          ],
          ['run() arguments', pick(args.experimentTracker, argsStep.experimentTracker)],
        ],
      ),
      model: named(
        where,
        pick(pipelineConfig.model, config.model, file.model, fileStep.model, args.model, argsStep.model),
      ),
      env: [...new Set([...(pipelineConfig.env ?? []), ...(config.env ?? [])])].sort(),
      secrets: [...new Set([...(pipelineConfig.secrets ?? []), ...(config.secrets ?? [])])].sort(),
    }
  })

  return {
    pipelineName: name,
    parameters,
    failureMode: pick(pipelineConfig.failureMode, file.failureMode, args.failureMode) ?? DEFAULT_FAILURE_MODE,
    settings: asJson(
      mergeSettings(pipelineConfig.settings, file.settings, args.settings),
      `pipeline '${name}' settings`,
    ),
    model: named(`pipeline '${name}'`, pick(pipelineConfig.model, file.model, args.model)),
    runName: pick(file.runName, args.runName),
    steps,
  }
}
