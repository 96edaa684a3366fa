import type { CommandContext } from './context.js'

/** An option a command declares. Names are kebab-case; `--a_b`, `--a-b` and `--aB` all match `a-b`. */
export interface OptionSpec {
  name: string
  /** Short spellings without the dash, ZenML style: `o`, `a`, or `al` for `-al`. */
  short?: string
  /** @default 'string' */
  type?: 'string' | 'boolean' | 'number'
  /** Shown in help as the value's placeholder. @default upper-cased name */
  placeholder?: string
  /** May be given more than once (values collected in an array). */
  multiple?: boolean
  help: string
}

/** A positional argument. */
export interface ArgumentSpec {
  name: string
  required?: boolean
  /** Takes every remaining positional. */
  variadic?: boolean
  help: string
}

/** A leaf command: `strata stack list`. */
export interface CommandSpec {
  kind: 'command'
  summary: string
  /** More text for `--help`, after the summary. */
  description?: string
  args?: ArgumentSpec[]
  options?: OptionSpec[]
  /**
   * Accepts options it does not declare, as `--KEY=VALUE` pairs: component config (`config`) or secret
   * values (`secret`, whose values are scrubbed from all output).
   */
  extras?: { kind: 'config' | 'secret'; help: string }
  examples?: string[]
  run(context: CommandContext): Promise<number | undefined>
}

/** A command group: `strata stack`, `strata artifact-store flavor`. */
export interface GroupSpec {
  kind: 'group'
  summary: string
  description?: string
  commands: Record<string, CommandSpec | GroupSpec>
}

export function defineCommand(spec: Omit<CommandSpec, 'kind'>): CommandSpec {
  return { kind: 'command', ...spec }
}

export function defineGroup(spec: Omit<GroupSpec, 'kind'>): GroupSpec {
  return { kind: 'group', ...spec }
}

/** A usage mistake (unknown option, missing argument): exit code 2, with the help hint. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command: string,
  ) {
    super(message)
    this.name = 'UsageError'
  }
}

/**
 * A failure the CLI itself detects (exit code 1). Like a StrataError: an UPPER_SNAKE code, a message that
 * says what failed and ends with the fix; used where loading @strata/core just to throw would cost start-up.
 */
export class CommandError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message)
    this.name = 'CommandError'
  }
}
