#!/usr/bin/env node
// `pnpm bench:kubernetes [--rounds N] [--steps 40,80] [--smoke] [--out FILE]`: the Kubernetes orchestrator on
// the Kubernetes test plane next to the local orchestrator with `isolation: 'process'`, both on the same S3
// store (moto), in the same run. Each measurement is a fresh process (bench/kubernetes/driver.ts); rounds
// are interleaved, the stacks' order alternating from one measurement to the next; a bare `node -e 0` is
// measured in every round as the physical reference. Writes bench/results/kubernetes.md (not with --smoke).
//   - time from the start of `pipeline.run()` to the first step's `startedAt` (as the store records it, from
//     the step's journal), for a one-step pipeline;
//   - framework overhead per step: the slope between two chains of 10 ms steps minus the wait,
//     (t80 − t40) / 40 − 10 ms.
// `--smoke` shrinks the chains to 2 and 4 steps and runs one round: it checks the harness, it does not measure.
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import {
  benchDir,
  fail,
  formatSummary,
  formatValue,
  gitRevision,
  machineInfo,
  measureAsync,
  median,
  parseArgs,
  requireBuild,
  summarize,
  writeResults,
} from '../lib.mjs'
import { NAMESPACE, PLANE_VERSIONS, startBenchPlane } from './bench-plane.mjs'

const STEP_MS = 10
const NODE_SAMPLES = 3
const argv = process.argv.slice(2)
const smoke = argv.includes('--smoke')
const options = parseArgs(argv, { defaultRounds: smoke ? 1 : 3 })
const stepsFlag = argv.indexOf('--steps')
const [short, long] = smoke
  ? [2, 4]
  : stepsFlag === -1
    ? [40, 80]
    : argv[stepsFlag + 1].split(',').map(Number)
if (!Number.isInteger(short) || !Number.isInteger(long) || short < 1 || long <= short)
  fail(`--steps takes two step counts, the second larger, e.g. 40,80 — got '${argv[stepsFlag + 1]}'`)
requireBuild([
  'plugins/kubernetes/dist/index.js',
  'plugins/s3/dist/index.js',
  'packages/testing/dist/kubernetes.js',
])

const progress = (line) => process.stderr.write(`bench:kubernetes: ${line}\n`)
const STACKS = [
  { key: 'kubernetes', name: 'Kubernetes (test plane)' },
  { key: 'process', name: "local, `isolation: 'process'`" },
]

let bench
try {
  bench = await startBenchPlane(progress)
} catch (error) {
  fail(error instanceof Error ? error.message : String(error))
}
const loads = []
const started = new Date()
const loadAtStart = loadavg()
try {
  const run = async (stack, args) => {
    loads.push(loadavg()[0])
    const result = await bench.driver([args[0], stack.key, ...args.slice(1)])
    // Every Kubernetes measurement starts with an empty namespace: the finished runs' Jobs and pods are
    // removed between measurements, outside the clock.
    if (stack.key === 'kubernetes') await bench.clean()
    return result
  }
  progress('warm-up: one one-step run on each stack (not counted)')
  for (const stack of STACKS) await run(stack, ['first-step', STEP_MS])

  const measurements = [
    { id: 'firstStep', args: ['first-step', STEP_MS] },
    { id: 'chainShort', args: ['chain', short, STEP_MS] },
    { id: 'chainLong', args: ['chain', long, STEP_MS] },
  ]
  const rounds = []
  let turn = 0
  for (let round = 0; round < options.rounds; round++) {
    const results = { kubernetes: {}, process: {} }
    const nodes = []
    for (let sample = 0; sample < NODE_SAMPLES; sample++)
      nodes.push((await measureAsync(process.execPath, ['-e', '0'])).wallMs)
    results.node = median(nodes)
    for (const measurement of measurements) {
      const order = turn++ % 2 === 0 ? STACKS : [...STACKS].reverse()
      for (const stack of order) {
        progress(`round ${round + 1}/${options.rounds}: ${stack.key} ${measurement.id}`)
        results[stack.key][measurement.id] = await run(stack, measurement.args)
      }
    }
    rounds.push(results)
  }
  const loadAtEnd = loadavg()

  const slope = (m) => (m.chainLong.runMs - m.chainShort.runMs) / (long - short) - STEP_MS
  const rows = [
    {
      label: 'time from `pipeline.run()` to the first step running (one-step pipeline)',
      value: (m) => m.firstStep.firstStepMs,
    },
    { label: 'the same one-step run, all of `pipeline.run()`', value: (m) => m.firstStep.runMs },
    { label: `chain of ${short} steps × ${STEP_MS} ms, one run`, value: (m) => m.chainShort.runMs },
    { label: `chain of ${long} steps × ${STEP_MS} ms, one run`, value: (m) => m.chainLong.runMs },
    {
      label: `framework overhead per step (slope ${short}→${long} steps minus the ${STEP_MS} ms wait)`,
      value: slope,
      unit: 'ms/step',
    },
  ]
  const cell = (values, unit) => formatSummary(summarize(values), unit)
  const node = rounds.map((m) => m.node)
  const lines = [
    '# The Kubernetes orchestrator on the test plane, next to local step processes',
    '',
    `${started.toISOString().slice(0, 10)}, commit ${gitRevision()}, ${options.rounds} interleaved round${options.rounds === 1 ? '' : 's'}, one process per measurement; median (min–max).`,
    '',
    ...Object.entries(machineInfo()).map(([key, value]) => `- ${key}: ${value}`),
    `- load average (1, 5, 15 min): ${fmtLoad(loadAtStart)} at the start, ${fmtLoad(loadAtEnd)} at the end; 1-min load before each measurement ${loads.length ? `${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)}` : 'n/a'} (${cpus().length} cores)`,
    `- Kubernetes: the test plane (${PLANE_VERSIONS}; pods run as local processes through the node agent), namespace \`${NAMESPACE}\` with the Roles of plugins/kubernetes/manifests/rbac.yaml (orchestrator pod on \`strata-orchestrator\`, step pods on \`strata-step\`), \`jobMonitoringInterval: 0.2\` (the default is 3 s), image \`node:24-slim\` (this Node)`,
    "- local: `orchestrator/local` with `isolation: 'process'` (one `strata step run` process per step)",
    '- both stacks: the same `artifact_store/s3` on moto (127.0.0.1), caching off',
    '',
    `| measure | ${STACKS[0].name} | ${STACKS[1].name} | Kubernetes ÷ local | \`node -e 0\` (same run) | Kubernetes ÷ \`node -e 0\` | local ÷ \`node -e 0\` |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ]
  for (const row of rows) {
    const kubernetes = rounds.map((m) => row.value(m.kubernetes))
    const local = rounds.map((m) => row.value(m.process))
    const ratio = (values, references) =>
      cell(
        values.map((value, index) => value / references[index]),
        '×',
      )
    lines.push(
      `| ${row.label} | ${cell(kubernetes, row.unit)} | ${cell(local, row.unit)} | ${ratio(kubernetes, local)} | ${formatValue(median(node))} | ${ratio(kubernetes, node)} | ${ratio(local, node)} |`,
    )
  }
  lines.push(
    '',
    `Ratios are per round, then the median. Reproduce: \`pnpm bench:kubernetes\` (\`--rounds N\`, \`--steps ${short},${long}\`); the breakdown of a step's time: \`node bench/kubernetes/profile.mjs\`.`,
  )
  const markdown = `${lines.join('\n')}\n`
  process.stdout.write(markdown)
  if (!smoke) writeResults(options.out ?? join(benchDir, 'results', 'kubernetes.md'), markdown)
} catch (error) {
  process.stderr.write(`bench:kubernetes: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exitCode = 1
} finally {
  await bench.stop()
}

function fmtLoad(values) {
  return values.map((value) => value.toFixed(2)).join(', ')
}
