#!/usr/bin/env node
// `pnpm bench:cli`: start-up of `strata --help` and `strata stack list` against a bare `node -e 0`, measured
// in the same run, interleaved (each round runs every command once, in rotating order), on the pinned
// Node. Prints medians and ratios as a Markdown table. Budget: each ≤ 2× `node -e 0`.
// Options: --rounds N (default 30, at least 10), --check (exit 1 when over budget).
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { median } from '../lib.mjs'

const args = process.argv.slice(2)
const roundsArg = args.indexOf('--rounds')
const rounds = Math.max(10, roundsArg === -1 ? 30 : Number(args[roundsArg + 1]))
const check = args.includes('--check')
const BUDGET = 2

const bin = fileURLToPath(new URL('../../apps/cli/bin/strata.mjs', import.meta.url))
if (!existsSync(fileURLToPath(new URL('../../apps/cli/dist/main.js', import.meta.url)))) {
  console.error('bench:cli: apps/cli is not built — run `pnpm build` first')
  process.exit(1)
}

const configDir = mkdtempSync(join(tmpdir(), 'strata-bench-config-'))
const cwd = mkdtempSync(join(tmpdir(), 'strata-bench-cwd-'))
const env = { ...process.env, STRATA_CONFIG_DIR: configDir, NO_COLOR: '1' }

const commands = [
  { name: 'node -e 0', args: ['-e', '0'], reference: true },
  { name: 'strata --help', args: [bin, '--help'] },
  { name: 'strata stack list', args: [bin, 'stack', 'list'] },
]

function time(command) {
  const started = process.hrtime.bigint()
  const result = spawnSync(process.execPath, command.args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
  const ms = Number(process.hrtime.bigint() - started) / 1e6
  if (result.status !== 0) {
    console.error(`bench:cli: '${command.name}' failed (exit ${result.status}): ${result.stderr}`)
    process.exit(1)
  }
  return ms
}

try {
  // Warm-up: creates the store and the default stack, fills the OS file cache and Node's compile cache.
  for (let round = 0; round < 3; round++) for (const command of commands) time(command)
  const samples = new Map(commands.map((command) => [command.name, []]))
  for (let round = 0; round < rounds; round++) {
    for (let index = 0; index < commands.length; index++) {
      const command = commands[(index + round) % commands.length]
      samples.get(command.name).push(time(command))
    }
  }
  const reference = median(samples.get('node -e 0'))
  const lines = [
    `Node ${process.versions.node}, ${rounds} interleaved rounds, median wall time per process.`,
    '',
    '| command | median (ms) | min (ms) | ratio to `node -e 0` | budget |',
    '| --- | ---: | ---: | ---: | --- |',
  ]
  let over = false
  for (const command of commands) {
    const values = samples.get(command.name)
    const value = median(values)
    const ratio = value / reference
    const ok = command.reference || ratio <= BUDGET
    if (!ok) over = true
    lines.push(
      `| \`${command.name}\` | ${value.toFixed(1)} | ${Math.min(...values).toFixed(1)} | ${ratio.toFixed(2)}× | ${command.reference ? 'reference' : `≤ ${BUDGET}× ${ok ? '✓' : '✗'}`} |`,
    )
  }
  console.log(lines.join('\n'))
  if (check && over) process.exit(1)
} finally {
  rmSync(configDir, { recursive: true, force: true })
  rmSync(cwd, { recursive: true, force: true })
}
