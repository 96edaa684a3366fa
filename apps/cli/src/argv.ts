import { type CommandSpec, type OptionSpec, UsageError } from './command.js'

export type OptionValue = string | boolean | number | string[]

/** A command line after parsing against a command's spec. */
export interface ParsedArgs {
  args: Record<string, string | string[] | undefined>
  options: Record<string, OptionValue | undefined>
  /** Undeclared `--key=value` options, in order, keys as typed (without dashes). */
  extras: Array<{ key: string; value: string | true }>
}

/** `--trackingUri`, `--tracking_uri`, `--Tracking-URI` → `tracking-uri`. */
export function normalizeOptionName(name: string): string {
  return name
    .replaceAll(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replaceAll('_', '-')
    .toLowerCase()
}

function convert(option: OptionSpec, raw: string, command: string): OptionValue {
  if (option.type === 'number') {
    const value = Number(raw)
    if (!Number.isInteger(value) || value < 0) {
      throw new UsageError(`--${option.name} needs a whole number, got '${raw}'`, command)
    }
    return value
  }
  if (option.type === 'boolean') {
    if (/^(true|1|yes)$/i.test(raw)) return true
    if (/^(false|0|no)$/i.test(raw)) return false
    throw new UsageError(
      `--${option.name} is a flag: write --${option.name} or --${option.name}=false`,
      command,
    )
  }
  return raw
}

/**
 * Parses tokens against a command: declared options (`--name value`, `--name=value`, `-o value`, flags),
 * positionals, and — for commands that take them — undeclared `--key=value` pairs.
 * @throws UsageError naming the problem
 */
export function parseArguments(spec: CommandSpec, tokens: readonly string[], command: string): ParsedArgs {
  const options: ParsedArgs['options'] = {}
  const extras: ParsedArgs['extras'] = []
  const positionals: string[] = []
  const declared = spec.options ?? []
  const byName = new Map(declared.map((option) => [option.name, option]))
  const byShort = new Map(declared.filter((option) => option.short).map((option) => [option.short!, option]))

  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index]!
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
    const option = isLong ? byName.get(normalizeOptionName(rawName)) : byShort.get(rawName)
    const next = (): string | undefined => {
      const value = tokens[index + 1]
      if (value === undefined || (value.startsWith('--') && value.length > 2)) return undefined
      index++
      return value
    }
    if (option) {
      let value: OptionValue
      if (option.type === 'boolean') value = inline === undefined ? true : convert(option, inline, command)
      else {
        const raw = inline ?? next()
        if (raw === undefined) {
          throw new UsageError(
            `option --${option.name} needs a value: --${option.name}=${option.placeholder ?? option.name.toUpperCase()}`,
            command,
          )
        }
        value = convert(option, raw, command)
      }
      if (option.multiple) {
        const list = (options[option.name] as string[] | undefined) ?? []
        list.push(...String(value).split(',').filter(Boolean))
        options[option.name] = list
      } else options[option.name] = value
      continue
    }
    if (isLong && spec.extras && rawName.length > 0) {
      let value: string | true | undefined = inline
      if (value === undefined) {
        const following = tokens[index + 1]
        value = following !== undefined && !following.startsWith('-') ? next()! : true
      }
      extras.push({ key: rawName, value })
      continue
    }
    const known = declared.map((candidate) => `--${candidate.name}`).join(', ')
    throw new UsageError(
      `unknown option '${isLong ? '--' : '-'}${rawName}'${known ? ` (options: ${known})` : ''}`,
      command,
    )
  }

  const args: ParsedArgs['args'] = {}
  const specs = spec.args ?? []
  for (const argument of specs) {
    if (argument.variadic) {
      args[argument.name] = positionals.splice(0)
      if (argument.required && (args[argument.name] as string[]).length === 0) {
        throw new UsageError(`missing ${argument.name}`, command)
      }
      continue
    }
    const value = positionals.shift()
    if (value === undefined && argument.required) throw new UsageError(`missing ${argument.name}`, command)
    args[argument.name] = value
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`, command)
  return { args, options, extras }
}
