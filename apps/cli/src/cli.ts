import { parseArguments } from './argv.js'
import { CommandContext } from './context.js'
import { printCommandHelp, printGroupHelp, printMainHelp } from './help.js'
import { CommandError, type CommandSpec, type GroupSpec, UsageError } from './kit.js'
import { Io } from './output/io.js'
import { COMMANDS } from './registry.js'
import { cliVersion } from './version.js'

/**
 * A StrataError from any copy of @strata/core: core brands them with `Symbol.for('strata.error')` for
 * exactly this (checked here without loading core, which `strata --help` does not need).
 */
function isStrataError(error: unknown): error is Error & { code: string } {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as Record<symbol, unknown>)[Symbol.for('strata.error')] === true
  )
}

function isHelp(token: string | undefined): boolean {
  return token === '--help' || token === '-h'
}

async function unknownCommand(
  name: string,
  path: string,
  candidates: readonly string[],
): Promise<UsageError> {
  // Loaded here, not at the top: only a mistyped command pays for core, `strata --help` does not.
  const { closestName } = await import('@strata/core/base')
  const guess = closestName(name, candidates)
  const where = path ? `strata ${path}` : 'strata'
  return new UsageError(
    `unknown command '${where} ${name}' — ${guess ? `did you mean '${where} ${guess}'? ` : ''}see '${where} --help'`,
    path,
  )
}

/** Runs one command line; resolves with the exit code. Never throws. */
export async function run(argv: readonly string[], cwd: string = process.cwd()): Promise<number> {
  const tokens = argv.filter((token) => token !== '--no-color')
  const io = new Io({ noColor: tokens.length !== argv.length })
  let context: CommandContext | undefined
  try {
    const first = tokens[0]
    if (first === undefined || isHelp(first)) {
      printMainHelp(io, cliVersion())
      return 0
    }
    if (first === '--version' || first === '-V') {
      io.out(cliVersion())
      return 0
    }
    const entry = COMMANDS.find((candidate) => candidate.name === first)
    if (!entry)
      throw await unknownCommand(
        first,
        '',
        COMMANDS.map((candidate) => candidate.name),
      )
    const [rootName, ...aliased] = entry.aliasOf ?? [entry.name]
    let rest = [...aliased, ...tokens.slice(1)]
    const root = COMMANDS.find((candidate) => candidate.name === rootName)
    if (!root?.load) throw new Error(`'strata ${rootName}' has no commands to load`)
    let spec: CommandSpec | GroupSpec = await root.load()
    let path = root.name
    while (spec.kind === 'group') {
      const next = rest[0]
      if (next === undefined || isHelp(next)) {
        printGroupHelp(io, path, spec)
        return 0
      }
      const child: CommandSpec | GroupSpec | undefined = spec.commands[next]
      if (!child) throw await unknownCommand(next, path, Object.keys(spec.commands))
      spec = child
      path = `${path} ${next}`
      rest = rest.slice(1)
    }
    const separator = rest.indexOf('--')
    if ((separator === -1 ? rest : rest.slice(0, separator)).some(isHelp)) {
      printCommandHelp(io, path, spec)
      return 0
    }
    const parsed = parseArguments(spec, rest, path)
    if (spec.extras?.kind === 'secret') {
      for (const extra of parsed.extras) if (typeof extra.value === 'string') io.sensitive(extra.value)
    }
    const commandContext = new CommandContext({ path, ...parsed, io, cwd, env: process.env })
    context = commandContext
    const code = (await spec.run(commandContext)) ?? 0
    await context.close()
    context.flushWarnings()
    return code
  } catch (error) {
    context?.flushWarnings(error)
    // Already failing: that failure is the one to report, not a second one while closing.
    await context?.close().catch(() => undefined)
    if (error instanceof UsageError) {
      const help = `see 'strata ${error.command ? `${error.command} ` : ''}--help'`
      io.error(error.message.includes(' — ') ? error.message : `${error.message} — ${help}`)
      return 2
    }
    if (isStrataError(error) || error instanceof CommandError) io.error(error.message)
    else {
      io.error(
        `unexpected failure: ${(error as Error)?.message ?? String(error)} — this is a bug in Strata; run again with STRATA_DEBUG=1 for details and report it`,
      )
    }
    if (process.env.STRATA_DEBUG && (error as Error)?.stack) io.note((error as Error).stack!)
    return 1
  }
}
