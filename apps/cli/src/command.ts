// How a command is declared, and the types its `run` gets from that declaration (as unjs/citty infers
// them): `args: [{ name: 'NAME', required: true }]` gives `context.args.NAME: string`, an option
// `output: { choices: ['table', 'json'], default: 'table' }` gives `context.options.output: 'table' | 'json'`.
// The parser (argv.ts) checks what the types promise before `run` starts.
import type { CommandContext } from './context.js'

/** An option a command declares, under its name: `options: { 'dry-run': { type: 'boolean', help } }`. */
export interface OptionSpec {
  /** @default 'string' */
  type?: 'string' | 'boolean' | 'number'
  /** Short spellings without the dash, ZenML style: `o`, `a`, or `al` for `-al`. */
  short?: string
  /** Shown in help as the value's placeholder. @default upper-cased name */
  placeholder?: string
  /** May be given more than once, or comma-separated (values collected in an array). */
  multiple?: boolean
  /** The only values a string option takes; another is a usage error before `run`. */
  choices?: readonly string[]
  /** The value when the option is not given (then it is never `undefined`). */
  default?: string | number
  help: string
}

/** A positional argument. Names are upper-case, as help shows them. */
export interface ArgumentSpec {
  name: string
  /** Missing, it is a usage error before `run` (`missing NAME`). */
  required?: boolean
  /** Takes every remaining positional. */
  variadic?: boolean
  help: string
}

export type Arguments = readonly ArgumentSpec[]
/** Names are kebab-case; `--a_b`, `--a-b` and `--aB` all match `a-b`. */
export type Options = Readonly<Record<string, OptionSpec>>

/** An option's value as given on the command line (or `undefined`), before its declaration types it. */
export type AnyOptionValue = string | number | boolean | string[] | undefined
export type AnyArgumentValue = string | string[] | undefined

type GivenValue<O extends OptionSpec> = O extends { type: 'number' }
  ? number
  : O extends { choices: readonly (infer Choice extends string)[] }
    ? Choice
    : string

/** What `context.options.NAME` holds: a flag is `false` when absent, a value `undefined` unless it has a default. */
type OptionValue<O extends OptionSpec> = O extends { type: 'boolean' }
  ? boolean
  : O extends { multiple: true }
    ? string[] | undefined
    : O extends { default: string | number }
      ? GivenValue<O>
      : GivenValue<O> | undefined

/** What `context.args.NAME` holds: variadic arguments are arrays, optional ones may be `undefined`. */
type ArgumentValue<A extends ArgumentSpec> = A extends { variadic: true }
  ? string[]
  : A extends { required: true }
    ? string
    : string | undefined

/** `context.options` of a command that declares options `O`. */
export type OptionValues<O extends Options> = string extends keyof O
  ? Record<string, AnyOptionValue>
  : { -readonly [Name in keyof O]: OptionValue<O[Name]> }

/** `context.args` of a command that declares arguments `A`. */
export type ArgumentValues<A extends Arguments> = number extends A['length']
  ? Record<string, AnyArgumentValue>
  : { [Argument in A[number] as Argument['name']]: ArgumentValue<Argument> }

/** The context a command declared with arguments `A` and options `O` runs with. */
type ContextOf<A extends Arguments, O extends Options> = CommandContext<ArgumentValues<A>, OptionValues<O>>

/** A leaf command: `strata stack list`. */
export interface CommandSpec<A extends Arguments = Arguments, O extends Options = Options> {
  kind: 'command'
  summary: string
  /** More text for `--help`, after the summary. */
  description?: string
  args?: A
  options?: O
  /**
   * Accepts options it does not declare, as `--KEY=VALUE` pairs: component config (`config`) or secret
   * values (`secret`, whose values are scrubbed from all output).
   */
  extras?: { kind: 'config' | 'secret'; help: string }
  examples?: string[]
  /** Resolves with the exit code (`undefined`: 0). A method, so that any command fits a group. */
  run(context: ContextOf<A, O>): Promise<number | undefined>
}

/** A command group: `strata stack`, `strata artifact-store flavor`. */
export interface GroupSpec {
  kind: 'group'
  summary: string
  description?: string
  commands: Record<string, CommandSpec | GroupSpec>
}

/**
 * Declares a command; its `run` gets `context.args` and `context.options` typed by `args` and `options`.
 * Shared declarations keep their literal types with `as const satisfies Options` (or `ArgumentSpec`).
 */
export function defineCommand<
  const A extends Arguments = readonly [],
  const O extends Options = Record<never, never>,
>(spec: Omit<CommandSpec<A, O>, 'kind'>): CommandSpec<A, O> {
  return { kind: 'command', ...spec }
}

export function defineGroup(spec: Omit<GroupSpec, 'kind'>): GroupSpec {
  return { kind: 'group', ...spec }
}
