#!/usr/bin/env node
// `pnpm bench:cli`: the start-up of every family of read-only commands (help, stacks, components, flavors,
// pipelines, runs, artifacts, models, secrets, integrations, status) against a bare `node -e 0`, measured in
// the same run, interleaved (each round runs every command once, in rotating order), on the pinned Node, on
// an empty store and on a store with runs (bench/cli/pipelines.ts, run --runs times before the clock starts).
// Prints medians and ratios as a Markdown table. Budget: each ≤ 2× `node -e 0`.
// Options: --rounds N (default 20, at least 5), --runs N (default 20), --check (exit 1 when over budget),
// --only TEXT (only commands whose name contains TEXT), --baseline DIR (also time the CLI of another built
// checkout, e.g. a `git worktree` of an older commit after `pnpm build` there, in the same interleaved
// rounds, on stores of its own: a before/after comparison in one run).
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { median } from '../lib.mjs'

const args = process.argv.slice(2)
const option = (flag, fallback) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : fallback)
const rounds = Math.max(5, Number(option('--rounds', 20)))
const runs = Math.max(1, Number(option('--runs', 20)))
const only = option('--only', undefined)
const check = args.includes('--check')
const baseline = option('--baseline', undefined)
const BUDGET = 2

const bin = fileURLToPath(new URL('../../apps/cli/bin/strata.mjs', import.meta.url))
const benchDir = fileURLToPath(new URL('..', import.meta.url))
if (!existsSync(fileURLToPath(new URL('../../apps/cli/dist/main.js', import.meta.url)))) {
  console.error('bench:cli: apps/cli is not built — run `pnpm build` first')
  process.exit(1)
}
const baselineBin = baseline === undefined ? undefined : resolve(baseline, 'apps/cli/bin/strata.mjs')
if (baseline !== undefined && !existsSync(resolve(baseline, 'apps/cli/dist/main.js'))) {
  console.error(`bench:cli: ${baseline} holds no built CLI — run \`pnpm build\` there first`)
  process.exit(1)
}

const emptyDir = mkdtempSync(join(tmpdir(), 'strata-bench-empty-'))
const runsDir = mkdtempSync(join(tmpdir(), 'strata-bench-runs-'))
// The baseline's own stores: a CLI may refuse a store that a newer one wrote.
const baselineEmptyDir = mkdtempSync(join(tmpdir(), 'strata-bench-baseline-empty-'))
const baselineRunsDir = mkdtempSync(join(tmpdir(), 'strata-bench-baseline-runs-'))
const cwd = mkdtempSync(join(tmpdir(), 'strata-bench-cwd-'))
const environment = (configDir) => ({ ...process.env, STRATA_CONFIG_DIR: configDir, NO_COLOR: '1' })

function strata(configDir, commandArgs, where = cwd, cli = bin) {
  const result = spawnSync(process.execPath, [cli, ...commandArgs], {
    cwd: where,
    env: environment(configDir),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  if (result.status !== 0) {
    console.error(
      `bench:cli: 'strata ${commandArgs.join(' ')}' failed (exit ${result.status}): ${result.stderr}`,
    )
    process.exit(1)
  }
  return result.stdout
}

/** The read-only commands, by family; `store: 'runs'` ones need the runs, an artifact and a model. */
function commandList(run) {
  const both = (family, commandArgs) => [
    { family, commandArgs, store: 'empty' },
    { family, commandArgs, store: 'runs' },
  ]
  return [
    ...both('help', ['--help']),
    ...both('stacks', ['stack', 'list']),
    ...both('stacks', ['stack', 'describe']),
    ...both('components', ['orchestrator', 'list']),
    ...both('components', ['artifact-store', 'describe']),
    ...both('flavors', ['orchestrator', 'flavor', 'list']),
    ...both('flavors', ['artifact-store', 'flavor', 'list']),
    ...both('flavors', ['artifact-store', 'flavor', 'describe', 'local']),
    ...both('pipelines', ['pipeline', 'list']),
    ...both('pipelines', ['pipeline', 'schedule', 'list']),
    ...both('runs', ['pipeline', 'runs', 'list']),
    { family: 'runs', commandArgs: ['pipeline', 'runs', 'describe', run], store: 'runs' },
    { family: 'runs', commandArgs: ['pipeline', 'runs', 'logs', run], store: 'runs' },
    ...both('artifacts', ['artifact', 'list']),
    { family: 'artifacts', commandArgs: ['artifact', 'versions', 'bench-rows'], store: 'runs' },
    { family: 'artifacts', commandArgs: ['artifact', 'describe', 'bench-rows'], store: 'runs' },
    ...both('models', ['model', 'list']),
    { family: 'models', commandArgs: ['model', 'describe', 'bench-model'], store: 'runs' },
    { family: 'models', commandArgs: ['model', 'version', 'list', 'bench-model'], store: 'runs' },
    {
      family: 'models',
      commandArgs: ['model', 'version', 'describe', 'bench-model', 'latest'],
      store: 'runs',
    },
    ...both('secrets', ['secret', 'list']),
    ...both('integrations', ['integration', 'list']),
    ...both('status', ['status']),
  ]
}

function time(command) {
  const started = process.hrtime.bigint()
  const result = spawnSync(process.execPath, command.args, {
    cwd,
    env: command.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const ms = Number(process.hrtime.bigint() - started) / 1e6
  if (result.status !== 0) {
    console.error(`bench:cli: '${command.name}' failed (exit ${result.status}): ${result.stderr}`)
    process.exit(1)
  }
  return ms
}

try {
  // Untimed: both stores made, then `runs` runs of the bench pipeline (a logged step, an artifact, a model);
  // the same for the baseline's CLI on its own stores. Returns the newest run's name.
  // Each CLI runs the pipeline in its own checkout's bench/ (a project: its CLI would hand over to that
  // project's own).
  const prepare = (cli, empty, withRuns, project) => {
    strata(empty, ['stack', 'list'], cwd, cli)
    for (let index = 0; index < runs; index++)
      strata(withRuns, ['pipeline', 'run', join(project, 'cli', 'pipelines.ts')], project, cli)
    return JSON.parse(strata(withRuns, ['pipeline', 'runs', 'list', '--output', 'json'], cwd, cli)).items[0]
      .name
  }
  const newest = prepare(bin, emptyDir, runsDir, benchDir)
  const baselineNewest =
    baselineBin && prepare(baselineBin, baselineEmptyDir, baselineRunsDir, resolve(baseline, 'bench'))
  const reference = { name: 'node -e 0', args: ['-e', '0'], env: environment(emptyDir), reference: true }
  const timed = commandList(newest)
    .map((command) => ({
      ...command,
      name: `strata ${command.commandArgs.join(' ').replace(newest, 'RUN')}`,
      key: `${command.store}: ${command.commandArgs.join(' ')}`,
      args: [bin, ...command.commandArgs],
      env: environment(command.store === 'empty' ? emptyDir : runsDir),
    }))
    .filter((command) => only === undefined || command.name.includes(only))
  // Each command's twin on the baseline's CLI: timed in the same rounds, reported in the same row.
  const baselines = baselineBin
    ? timed.map((command) => {
        const commandArgs = command.commandArgs.map((arg) => (arg === newest ? baselineNewest : arg))
        return {
          key: `baseline ${command.key}`,
          args: [baselineBin, ...commandArgs],
          env: environment(command.store === 'empty' ? baselineEmptyDir : baselineRunsDir),
        }
      })
    : []
  const commands = [reference, ...timed, ...baselines]
  for (const command of commands) command.key ??= command.name
  const load = [loadavg()[0]]
  // Warm-up: fills the OS file cache and Node's compile cache.
  for (let round = 0; round < 2; round++) for (const command of commands) time(command)
  const samples = new Map(commands.map((command) => [command.key, []]))
  for (let round = 0; round < rounds; round++) {
    for (let index = 0; index < commands.length; index++) {
      const command = commands[(index + round) % commands.length]
      samples.get(command.key).push(time(command))
    }
  }
  load.push(loadavg()[0])
  const limit = median(samples.get(reference.key))
  /** The baseline's median and ratio for a command's row (blank for the limit), when there is a baseline. */
  const baselineCells = (command, limitMs) => {
    if (!baselineBin) return ''
    const values = samples.get(`baseline ${command.key}`)
    if (!values) return ' | |'
    const value = median(values)
    return ` ${value.toFixed(1)} | ${(value / limitMs).toFixed(2)}× |`
  }
  const baselineColumns = baselineBin ? ' baseline median (ms) | baseline × `node -e 0` |' : ''
  const lines = [
    `Node ${process.versions.node}, ${rounds} interleaved rounds, median wall time per process; the store with runs holds ${runs} runs of bench/cli/pipelines.ts; load average (1 min) ${load.map((value) => value.toFixed(1)).join(' → ')}.${baselineBin ? ` Baseline: the CLI of ${baseline}, timed in the same rounds on stores of its own.` : ''}`,
    '',
    `| family | command | store | median (ms) | min (ms) | × \`node -e 0\` |${baselineColumns} budget |`,
    `| --- | --- | --- | ---: | ---: | ---: |${baselineBin ? ' ---: | ---: |' : ''} --- |`,
  ]
  let over = false
  for (const command of [reference, ...timed]) {
    const values = samples.get(command.key)
    const value = median(values)
    const ratio = value / limit
    const ok = command.reference || ratio <= BUDGET
    if (!ok) over = true
    lines.push(
      `| ${command.family ?? 'limit'} | \`${command.name}\` | ${command.store ?? '-'} | ${value.toFixed(1)} | ${Math.min(...values).toFixed(1)} | ${ratio.toFixed(2)}× |${baselineCells(command, limit)} ${command.reference ? 'the limit' : `≤ ${BUDGET}× ${ok ? '✓' : '✗'}`} |`,
    )
  }
  console.log(lines.join('\n'))
  if (check && over) process.exit(1)
} finally {
  for (const dir of [emptyDir, runsDir, baselineEmptyDir, baselineRunsDir, cwd])
    rmSync(dir, { recursive: true, force: true })
}
