import type {
  AnyArgumentValue,
  AnyOptionValue,
  Arguments,
  ArgumentValues,
  CommandSpec,
  OptionSpec,
  Options,
  OptionValues,
} from './command.js'
import type { Extras } from './context.js'
import { UsageError } from './errors.js'

/** A command line after parsing against a command's declaration: what its `run` gets, typed by it. */
export interface ParsedArgs<A extends Arguments = Arguments, O extends Options = Options> {
  args: ArgumentValues<A>
  options: OptionValues<O>
  extras: Extras
}

/** `--trackingUri`, `--tracking_uri`, `--Tracking-URI` → `tracking-uri`. */
export function normalizeOptionName(name: string): string {
  return name
    .replaceAll(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replaceAll('_', '-')
    .toLowerCase()
}

/** `a`, `a or b`, `a, b or c` */
function alternatives(values: readonly string[]): string {
  return values.length < 2 ? values.join('') : `${values.slice(0, -1).join(', ')} or ${values.at(-1)}`
}

function convert(name: string, option: OptionSpec, raw: string, command: string): string | number | boolean {
  if (option.type === 'number') {
    const value = Number(raw)
    // Safe integers only: 1e19 is a whole number to JavaScript, but no count or page is that large, and
    // past 2^53 it is not even exact (SQLite refused it as a REAL: "datatype mismatch").
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new UsageError(
        `--${name} needs a whole number from 0 to ${Number.MAX_SAFE_INTEGER}, got '${raw}'`,
        command,
      )
    }
    return value
  }
  if (option.type === 'boolean') {
    if (/^(true|1|yes)$/i.test(raw)) return true
    if (/^(false|0|no)$/i.test(raw)) return false
    throw new UsageError(`--${name} is a flag: write --${name} or --${name}=false`, command)
  }
  if (option.choices && !option.choices.includes(raw)) {
    throw new UsageError(`--${name} must be ${alternatives(option.choices)}, got '${raw}'`, command)
  }
  return raw
}

/** What an option holds when it is not given: its default, `false` for a flag, else `undefined`. */
function absent(option: OptionSpec): AnyOptionValue {
  return option.default ?? (option.type === 'boolean' ? false : undefined)
}

/**
 * Parses tokens against a command: declared options (`--name value`, `--name=value`, `-o value`, flags),
 * positionals, and — for commands that take them — undeclared `--key=value` pairs. Checks what the
 * declaration's types promise: required arguments given, numbers whole, choices kept.
 * @throws UsageError naming the problem
 */
export function parseArguments<A extends Arguments, O extends Options>(
  spec: Pick<CommandSpec<A, O>, 'args' | 'options' | 'extras'>,
  tokens: readonly string[],
  command: string,
): ParsedArgs<A, O> {
  const declared: ReadonlyArray<[string, OptionSpec]> = Object.entries(spec.options ?? {})
  const options: Record<string, AnyOptionValue> = {}
  for (const [name, option] of declared) options[name] = absent(option)
  const extras: Array<Extras[number]> = []
  const positionals: string[] = []
  const byName = new Map(declared.map((entry) => [entry[0], entry]))
  const byShort = new Map<string, [string, OptionSpec]>()
  for (const entry of declared) if (entry[1].short) byShort.set(entry[1].short, entry)

  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index] ?? ''
    if (token === '--') {
      positionals.push(...tokens.slice(index + 1))
      break
    }
    if (!token.startsWith('-') || token === '-') {
      positionals.push(token)
      continue
    }
    const isLong = token.startsWith('--')
    const body = token.slice(isLong ? 2 : 1)
    const equals = body.indexOf('=')
    const rawName = equals === -1 ? body : body.slice(0, equals)
    const inline = equals === -1 ? undefined : body.slice(equals + 1)
    const match = isLong ? byName.get(normalizeOptionName(rawName)) : byShort.get(rawName)
    const next = (): string | undefined => {
      const value = tokens[index + 1]
      if (value === undefined || (value.startsWith('--') && value.length > 2)) return undefined
      index++
      return value
    }
    if (match) {
      const [name, found] = match
      let value: string | number | boolean
      if (found.type === 'boolean')
        value = inline === undefined ? true : convert(name, found, inline, command)
      else {
        const raw = inline ?? next()
        if (raw === undefined) {
          throw new UsageError(
            `option --${name} needs a value: --${name}=${found.placeholder ?? name.toUpperCase()}`,
            command,
          )
        }
        value = convert(name, found, raw, command)
      }
      if (found.multiple) {
        const previous = options[name]
        options[name] = [
          ...(Array.isArray(previous) ? previous : []),
          ...String(value).split(',').filter(Boolean),
        ]
      } else options[name] = value
      continue
    }
    if (isLong && spec.extras && rawName.length > 0) {
      let value: string | true | undefined = inline
      if (value === undefined) {
        const following = tokens[index + 1]
        value = following !== undefined && !following.startsWith('-') ? (next() ?? true) : true
      }
      extras.push({ key: rawName, value })
      continue
    }
    const known = declared.map(([candidate]) => `--${candidate}`).join(', ')
    throw new UsageError(
      `unknown option '${isLong ? '--' : '-'}${rawName}'${known ? ` (options: ${known})` : ''}`,
      command,
    )
  }

  const args: Record<string, AnyArgumentValue> = {}
  for (const argument of spec.args ?? []) {
    if (argument.variadic) {
      const values = positionals.splice(0)
      if (argument.required && values.length === 0) throw new UsageError(`missing ${argument.name}`, command)
      args[argument.name] = values
      continue
    }
    const value = positionals.shift()
    if (value === undefined && argument.required) throw new UsageError(`missing ${argument.name}`, command)
    args[argument.name] = value
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`, command)
  const parsed: ParsedArgs = { args, options, extras }
  // The one place where the declaration's types meet the command line: every check they promise is above.
  return parsed as ParsedArgs<A, O>
}
