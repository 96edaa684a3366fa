import type { CommandSpec, GroupSpec, OptionSpec } from './command.js'
import type { Io } from './output/io.js'
import { COMMANDS, SECTIONS } from './registry.js'

function rows(io: Io, entries: ReadonlyArray<[string, string]>): void {
  const size = Math.min(32, Math.max(0, ...entries.map(([left]) => left.length)))
  for (const [left, right] of entries) {
    const pad = left.length > size ? `\n${' '.repeat(size + 4)}` : ' '.repeat(size - left.length)
    io.out(`  ${io.style(left, 'cyan')}${pad}  ${right}`)
  }
}

/** `strata --help`: the command groups by section, as ZenML's help lists them. */
export function printMainHelp(io: Io, version: string): void {
  io.out(`Usage: strata COMMAND [ARGS]...`)
  io.out()
  io.out(`  Strata ${version}: ZenML's model of MLOps for TypeScript. Pipelines of typed steps run on a`)
  io.out('  stack of pluggable components; switch the active stack, not your code.')
  const sections = [...new Set(COMMANDS.map((entry) => entry.section))].sort(
    (a, b) => (SECTIONS.indexOf(a) + 1 || 99) - (SECTIONS.indexOf(b) + 1 || 99),
  )
  for (const section of sections) {
    io.out()
    io.out(io.style(`${section}:`, 'bold'))
    rows(
      io,
      COMMANDS.filter((entry) => entry.section === section).map((entry) => [
        entry.name,
        entry.aliasOf ? `${entry.summary} (same as 'strata ${entry.aliasOf.join(' ')}')` : entry.summary,
      ]),
    )
  }
  io.out()
  io.out(io.style('Options:', 'bold'))
  rows(io, [
    ['-h, --help', 'Show help for strata or any command'],
    ['-V, --version', 'Show the version'],
    ['--no-color', 'No colours (also NO_COLOR=1)'],
  ])
  io.out()
  io.out("Run 'strata COMMAND --help' for a command's options, e.g. 'strata stack register --help'.")
}

export function printGroupHelp(io: Io, path: string, group: GroupSpec): void {
  io.out(`Usage: strata ${path} COMMAND [ARGS]...`)
  io.out()
  io.out(`  ${group.summary}`)
  if (group.description) for (const line of group.description.split('\n')) io.out(`  ${line}`)
  io.out()
  io.out(io.style('Commands:', 'bold'))
  rows(
    io,
    Object.entries(group.commands).map(([name, spec]) => [name, spec.summary]),
  )
  io.out()
  io.out(`Run 'strata ${path} COMMAND --help' for a command's options.`)
}

function optionLabel(name: string, option: OptionSpec): string {
  const placeholder = option.type === 'boolean' ? '' : ` ${option.placeholder ?? name.toUpperCase()}`
  return `${option.short ? `-${option.short}, ` : ''}--${name}${placeholder}`
}

function usageLine(path: string, spec: CommandSpec): string {
  const args = (spec.args ?? []).map((argument) => {
    const name = argument.variadic ? `${argument.name}...` : argument.name
    return argument.required ? name : `[${name}]`
  })
  const extras = spec.extras ? ['[--KEY=VALUE ...]'] : []
  return `strata ${path} ${[...args, '[OPTIONS]', ...extras].join(' ')}`
}

export function printCommandHelp(io: Io, path: string, spec: CommandSpec): void {
  io.out(`Usage: ${usageLine(path, spec)}`)
  io.out()
  io.out(`  ${spec.summary}`)
  if (spec.description) {
    io.out()
    for (const line of spec.description.split('\n')) io.out(line ? `  ${line}` : '')
  }
  if (spec.args?.length) {
    io.out()
    io.out(io.style('Arguments:', 'bold'))
    rows(
      io,
      spec.args.map((argument) => [argument.name, argument.help]),
    )
  }
  io.out()
  io.out(io.style('Options:', 'bold'))
  rows(io, [
    ...Object.entries(spec.options ?? {}).map(([name, option]): [string, string] => [
      optionLabel(name, option),
      option.help,
    ]),
    ['-h, --help', 'Show this help'],
  ])
  if (spec.extras) {
    io.out()
    io.out(io.style(spec.extras.kind === 'config' ? 'Configuration:' : 'Values:', 'bold'))
    rows(io, [['--KEY=VALUE', spec.extras.help]])
  }
  if (spec.examples?.length) {
    io.out()
    io.out(io.style('Examples:', 'bold'))
    for (const example of spec.examples) io.out(`  ${example}`)
  }
}
