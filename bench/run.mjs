#!/usr/bin/env node
// `pnpm bench [--rounds N] [--check] [--smoke]`: Strata alone. Every workload runs in a fresh process,
// rounds interleaved; each figure is reported against a reference measured in the same run (a loop of the
// same waits, the critical path, a bare `node -e 0`), with the budgets of DESIGN.md. Writes the table to
// bench/results/strata.md. `--check` exits 1 when a budget is missed; `--smoke` shrinks the workloads.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  benchDir,
  formatSummary,
  formatValue,
  gitRevision,
  machineInfo,
  measure,
  parseArgs,
  requireBuild,
  summarize,
  writeResults,
} from './lib.mjs'
import { metricValues, runRounds, sharedMeasurements, sharedMetrics, sizes } from './plan.mjs'
import { strataFramework } from './strata/framework.mjs'

function formatMiB(mib) {
  return mib >= 1024 ? `${(mib / 1024).toFixed(2)} GiB` : `${mib.toFixed(0)} MiB`
}

const options = parseArgs(process.argv.slice(2), { defaultRounds: 5 })
requireBuild()
const size = sizes(options.smoke)
const processSteps = options.smoke ? [2, 4] : [4, 12]
// Artifacts at the physical limit: a binary value (MiB) and a JSON one (records), and a chain long enough to
// show whether the per-step cost stays flat.
const artifact = options.smoke ? { mib: 16, records: 10_000 } : { mib: 1024, records: 1_000_000 }
const flatSteps = options.smoke ? 20 : 1000
const workDir = mkdtempSync(join(tmpdir(), 'strata-bench-'))

try {
  const framework = strataFramework(workDir)
  // Warm-up: creates the store and the default stack, fills the OS file cache and Node's compile cache.
  framework.cli(['stack', 'list'])
  framework.driver(['chain', 2, 0])

  const measurements = [
    { id: 'node', run: () => measure(process.execPath, ['-e', '0']) },
    ...sharedMeasurements(size),
    { id: 'fanOutWarm', run: (f) => f.driver(['fanout-warm', size.width, size.fanMs]) },
    { id: 'compile', run: (f) => f.driver(['compile', size.compile]) },
    { id: 'compileTenth', run: (f) => f.driver(['compile', size.compile / 10]) },
    { id: 'chainFlat', run: (f) => f.driver(['chain', flatSteps, size.stepMs]) },
    { id: 'loopFlat', run: (f) => f.driver(['loop', flatSteps, size.stepMs]) },
    { id: 'plainBytes', run: (f) => f.driver(['plain-bytes', artifact.mib]) },
    { id: 'bytes', run: (f) => f.driver(['bytes', artifact.mib]) },
    { id: 'plainJson', run: (f) => f.driver(['plain-json', artifact.records]) },
    { id: 'json', run: (f) => f.driver(['json', artifact.records]) },
    { id: 'processShort', run: (f) => f.driver(['process-chain', processSteps[0], size.stepMs]) },
    { id: 'processLong', run: (f) => f.driver(['process-chain', processSteps[1], size.stepMs]) },
  ]
  const [rounds] = runRounds([framework], measurements, options.rounds, (line) =>
    process.stderr.write(`${line}\n`),
  )
  for (const round of rounds) {
    if (!round.cached.allCached || !round.cached.firstExecuted)
      throw new Error('the cached workload did not run every step once, then none — the benchmark is invalid')
  }

  const shared = new Map(sharedMetrics(size).map((metric) => [metric.id, metric]))
  const node = (m) => m.node.wallMs
  const rows = [
    { metric: shared.get('help'), reference: ['`node -e 0`', node], budget: 2 },
    { metric: shared.get('stackList'), reference: ['`node -e 0`', node], budget: 2 },
    { metric: shared.get('stackDescribe'), reference: ['`node -e 0`', node] },
    { metric: shared.get('startUp'), reference: ['`node -e 0`', node] },
    { metric: shared.get('chainShort'), reference: ['the same waits in a loop', (m) => m.loopShort.ms] },
    { metric: shared.get('chainLong'), reference: ['the same waits in a loop', (m) => m.loopLong.ms] },
    { metric: shared.get('overhead'), absoluteBudget: 1 },
    {
      metric: {
        label: `the same overhead from ${size.long} to ${flatSteps} steps (flat: within the same budget)`,
        unit: 'ms/step',
        value: (m) =>
          (m.chainFlat.runMs - m.chainLong.runMs - (m.loopFlat.ms - m.loopLong.ms)) / (flatSteps - size.long),
      },
      absoluteBudget: 1,
    },
    {
      metric: {
        label: `CPU per step (process CPU time, slope ${size.short}→${size.long} steps)`,
        unit: 'ms/step',
        value: (m) => (m.chainLong.cpuMs - m.chainShort.cpuMs) / (size.long - size.short),
      },
    },
    {
      metric: {
        label: `a ${formatMiB(artifact.mib)} Buffer from one step to the next (write, digest, read, check)`,
        value: (m) => m.bytes.ms,
      },
      reference: ['plain Node: write + read + sha256', (m) => m.plainBytes.ms],
      budget: 1.5,
    },
    {
      metric: { label: 'peak RSS of that run', unit: 'MiB', value: (m) => m.bytes.peakMiB },
      reference: [`the artifact: ${formatMiB(artifact.mib)}`, () => artifact.mib],
      budget: 1.25,
    },
    {
      metric: {
        label: `${artifact.records.toLocaleString('en-US')} records as a JSON artifact, one step to the next`,
        value: (m) => m.json.ms,
      },
      reference: ['plain Node: stringify + write + read + parse', (m) => m.plainJson.ms],
      budget: 1.3,
    },
    // The first run in a fresh process includes one-time start-up (lazy modules, esbuild's service); the
    // budget applies to the steady state, the row below.
    {
      metric: shared.get('fanOut'),
      reference: ['its critical path', (m) => m.criticalPath.ms],
      note: 'one-time start-up included',
    },
    {
      metric: {
        label: 'the same fan-out in a warm process (its second run)',
        value: (m) => m.fanOutWarm.runMs,
      },
      reference: ['its critical path', (m) => m.criticalPath.ms],
      budget: 1.3,
    },
    {
      metric: shared.get('cached'),
      reference: ['the run that filled the cache', (m) => m.cached.firstMs],
    },
    // Linear in the steps: ten times the steps within 15× the time (quadratic work would take 100×).
    {
      metric: { label: `compile a ${size.compile}-step pipeline`, value: (m) => m.compile.ms },
      reference: [`a ${size.compile / 10}-step one (linear = 10×)`, (m) => m.compileTenth.ms],
      budget: 15,
      absoluteBudget: 1000,
    },
    {
      metric: {
        label: `per-step cost with \`isolation: 'process'\` (slope ${processSteps[0]}→${processSteps[1]} steps, minus the ${size.stepMs} ms wait)`,
        value: (m) =>
          (m.processLong.runMs - m.processShort.runMs) / (processSteps[1] - processSteps[0]) - size.stepMs,
      },
      reference: ['`node -e 0`', node],
    },
    { metric: shared.get('register') },
    { metric: shared.get('listStacks'), reference: ['`node -e 0`', node] },
    { metric: shared.get('listComponents'), reference: ['`node -e 0`', node] },
  ]

  /** A row's figure: sizes in MiB, the rest as lib.mjs formats them. */
  const format = (value, unit) => (unit === 'MiB' ? formatMiB(value) : formatValue(value, unit))
  const formatSpread = (summary, unit) =>
    unit === 'MiB'
      ? `${format(summary.median, unit)} (${format(summary.min, unit)}–${format(summary.max, unit)})`
      : formatSummary(summary, unit)
  let over = false
  const lines = [
    `# Strata benchmarks`,
    '',
    `${new Date().toISOString().slice(0, 10)}, commit ${gitRevision()}, ${options.rounds} interleaved rounds, one process per measurement; median (min–max).`,
    '',
    ...Object.entries(machineInfo()).map(([key, value]) => `- ${key}: ${value}`),
    '',
    '| measure | Strata | same-run reference | ratio | budget |',
    '| --- | ---: | --- | ---: | --- |',
  ]
  for (const row of rows) {
    const values = metricValues(row.metric, rounds)
    const summary = summarize(values)
    let reference = ''
    let ratio = ''
    const budgets = []
    if (row.reference) {
      const [label, value] = row.reference
      const referenceSummary = summarize(rounds.map(value))
      const ratios = summarize(rounds.map((m) => row.metric.value(m) / value(m)))
      reference = `${label}: ${format(referenceSummary.median, row.metric.unit === 'MiB' ? 'MiB' : undefined)}`
      ratio = formatSummary(ratios, '×')
      if (row.budget) {
        const ok = ratios.median <= row.budget
        over ||= !ok
        budgets.push(`≤ ${row.budget}× ${ok ? '✓' : '✗'}`)
      }
    }
    if (row.note) budgets.push(row.note)
    if (row.absoluteBudget) {
      const ok = summary.median <= row.absoluteBudget
      over ||= !ok
      budgets.push(`≤ ${format(row.absoluteBudget, row.metric.unit)} ${ok ? '✓' : '✗'}`)
    }
    lines.push(
      `| ${row.metric.label} | ${formatSpread(summary, row.metric.unit)} | ${reference} | ${ratio} | ${budgets.join(', ')} |`,
    )
  }
  lines.push(
    '',
    `In-process steps run up to 32 at a time; step processes up to the CPU count. Reproduce: \`pnpm bench\` (\`--rounds N\`).`,
  )
  const markdown = `${lines.join('\n')}\n`
  process.stdout.write(markdown)
  if (!options.smoke) writeResults(options.out ?? join(benchDir, 'results', 'strata.md'), markdown)
  if (options.check && over) process.exitCode = 1
} finally {
  rmSync(workDir, { recursive: true, force: true })
}
