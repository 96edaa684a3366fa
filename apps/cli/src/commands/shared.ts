import type { StackRecord, StrataWorkspace } from '@strata/sdk/stack-state'
import type { OptionSpec } from '../command.js'
import type { CommandContext } from '../context.js'
import { type OutputFormat, outputFormat } from '../output/format.js'

export const OUTPUT_OPTION: OptionSpec = {
  name: 'output',
  placeholder: 'FORMAT',
  help: 'table (default), json or yaml',
}

/** `--size`, `--page` for list commands. */
export const PAGE_OPTIONS: readonly OptionSpec[] = [
  { name: 'size', type: 'number', placeholder: 'N', help: 'Rows per page (default 20)' },
  { name: 'page', type: 'number', placeholder: 'N', help: 'Which page (default 1)' },
]

/** `--output`, `--size`, `--page`, `--sort` for list commands. */
export function listOptions(sortFields: readonly string[]): OptionSpec[] {
  return [
    OUTPUT_OPTION,
    ...PAGE_OPTIONS,
    {
      name: 'sort',
      placeholder: 'FIELD',
      help: `Sort by ${sortFields.join(', ')}; -FIELD or desc:FIELD for descending (default name)`,
    },
  ]
}

export function formatOf(context: CommandContext): OutputFormat {
  return outputFormat(context.options.output, context.path)
}

/** The active stack, or `undefined` (with a warning) when the project names a stack the store lacks. */
export async function activeStackOrWarn(
  context: CommandContext,
  workspace: StrataWorkspace,
): Promise<StackRecord | undefined> {
  const { resolveActiveStack } = await import('@strata/sdk/stack-state')
  try {
    return (await resolveActiveStack(workspace)).stack
  } catch (error) {
    context.io.warn((error as Error).message)
    return undefined
  }
}

/**
 * The stack a command's optional NAME names, else the active one.
 * @throws StrataError `STACK_NOT_FOUND`
 */
export async function namedOrActiveStack(
  workspace: StrataWorkspace,
  name: string | undefined,
): Promise<StackRecord> {
  if (name !== undefined) return await workspace.store.stacks.get(name)
  const { resolveActiveStack } = await import('@strata/sdk/stack-state')
  return (await resolveActiveStack(workspace)).stack
}

/** `8f3a2c1d` */
export function shortId(id: string): string {
  return id.slice(0, 8)
}

/** `artifact_store` → `artifact store` */
export function label(type: string): string {
  return type.replace('_', ' ')
}

/** A success line on stderr, so that stdout stays clean for scripts. */
export function done(context: CommandContext, message: string): void {
  context.io.note(`${context.io.style('✔', 'green')} ${message}`)
}

/** Warns about references to secrets that do not exist yet (registration still succeeds). */
export function warnMissingSecrets(
  context: CommandContext,
  missing: ReadonlyArray<{ secret: string; key: string }>,
): void {
  for (const { secret, key } of missing) {
    context.io.warn(
      `secret '${secret}' (key '${key}') does not exist yet — create it with 'strata secret create ${secret} --${key}=VALUE' (or 'strata stack register-secrets STACK') before running a pipeline`,
    )
  }
}

/** `artifact store` → `an artifact store`, `step operator` → `a step operator` (component nouns only). */
export function withArticle(noun: string): string {
  return `${/^[aeiou]/i.test(noun) ? 'an' : 'a'} ${noun}`
}

export type StateColour = 'green' | 'red' | 'yellow' | 'cyan' | 'dim'

const STATE_COLOUR: Record<string, StateColour> = {
  completed: 'green',
  cached: 'green',
  failed: 'red',
  stopped: 'yellow',
  skipped: 'yellow',
  not_started: 'dim',
  pending: 'dim',
  running: 'cyan',
  retrying: 'yellow',
  initializing: 'cyan',
}

/** The colour a run's or step's state is shown in. */
export function stateColour(state: string): StateColour | undefined {
  return STATE_COLOUR[state]
}
