#!/usr/bin/env node
// `pnpm bench:compare [--rounds N] [--smoke] [--install-only]`: the same workloads on Strata and on a pinned ZenML release,
// interleaved (each measurement runs on both, in alternating order, one process each), at least 5 rounds.
// Prints a Markdown table of medians, spreads and ZenML ÷ Strata, and writes it to bench/results/latest.md.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  benchDir,
  formatSummary,
  gitRevision,
  machineInfo,
  parseArgs,
  requireBuild,
  summarize,
  writeResults,
} from './lib.mjs'
import { metricValues, runRounds, sharedMeasurements, sharedMetrics, sizes } from './plan.mjs'
import { strataFramework } from './strata/framework.mjs'
import { ensureZenml, ZENML_VERSION, zenmlFramework } from './zenml/framework.mjs'

const options = parseArgs(process.argv.slice(2), { defaultRounds: 5 })
const log = (line) => process.stderr.write(`${line}\n`)
if (options.rounds < 5 && !options.smoke)
  log(`warning: ${options.rounds} rounds — the comparison is meant to run at least 5`)
const versions = ensureZenml(log)
if (process.argv.includes('--install-only')) {
  log(`ZenML ${versions.zenml} on Python ${versions.python} is ready in bench/.venv`)
  process.exit(0)
}
requireBuild()
const size = sizes(options.smoke)
const workDir = mkdtempSync(join(tmpdir(), 'strata-bench-compare-'))
const started = Date.now()

try {
  const strata = strataFramework(workDir)
  const zenml = zenmlFramework(workDir)
  strata.cli(['stack', 'list'])
  strata.driver(['chain', 2, 0])
  zenml.driver(['chain', 2, 0])

  const measurements = [
    ...sharedMeasurements(size),
    // A footnote: ZenML's `local` orchestrator runs the static pipeline's steps one after another.
    { id: 'fanOutSequential', only: 'zenml', run: (f) => f.driver(['fanout', size.width, size.fanMs]) },
  ]
  const [strataRounds, zenmlRounds] = runRounds([strata, zenml], measurements, options.rounds, log)
  for (const [name, rounds] of [
    ['Strata', strataRounds],
    ['ZenML', zenmlRounds],
  ]) {
    if (rounds.some((m) => !m.cached.allCached || !m.cached.firstExecuted))
      throw new Error(`${name}'s cached workload did not run every step once, then none`)
  }

  const info = machineInfo()
  const lines = [
    `# Strata vs ZenML ${versions.zenml}`,
    '',
    `${new Date().toISOString().slice(0, 10)}, Strata commit ${gitRevision()}, ${options.rounds} interleaved rounds, one process per measurement and framework; median (min–max); ${Math.round((Date.now() - started) / 1000)} s in all.`,
    '',
    `- cpu: ${info.cpu}`,
    `- memory: ${info.memory}`,
    `- os: ${info.os}`,
    `- Strata: Node ${info.node}; ZenML ${versions.zenml} on Python ${versions.python}, local SQLite store, no server`,
    '',
    `| workload | Strata | ZenML ${versions.zenml} | ZenML ÷ Strata |`,
    '| --- | ---: | ---: | ---: |',
  ]
  for (const metric of sharedMetrics(size)) {
    const strataSummary = summarize(metricValues(metric, strataRounds))
    const zenmlSummary = summarize(metricValues(metric, zenmlRounds))
    const ratio = zenmlSummary.median / strataSummary.median
    const label = metric.id === 'fanOut' ? `${metric.label} ¹` : metric.label
    lines.push(
      `| ${label} | ${formatSummary(strataSummary, metric.unit)} | ${formatSummary(zenmlSummary, metric.unit)} | ${Number.isFinite(ratio) && ratio > 0 ? `${ratio.toFixed(1)}×` : 'n/a'} |`,
    )
  }
  const sequential = summarize(zenmlRounds.map((m) => m.fanOutSequential.runMs))
  lines.push(
    '',
    `¹ Strata: the \`local\` orchestrator, in-process steps (up to 32 at a time). ZenML ${versions.zenml} has no \`local_threaded\` orchestrator, so its parallel path is measured instead: the same fan-out as a dynamic pipeline (\`@pipeline(dynamic=True)\`, \`step.submit()\`) with ZENML_DYNAMIC_PIPELINE_WORKER_COUNT=${size.width}. Its \`local\` orchestrator runs the static pipeline's steps one by one: ${formatSummary(sequential)}.`,
    '',
    "The CLI rows are process wall times. Pipeline rows are the time of the run call inside the process (start-up is its own row). The overhead row is per round: (long chain − short chain − (long loop − short loop)) ÷ the extra steps, with each loop of the same waits measured in the framework's own language. Registration goes through each framework's API in one process (ZenML: `Client().create_stack_component` / `create_stack`; Strata: `prepareComponent` + the store's repositories, as `strata ... register` does), into a fresh store per round; the list rows then time the CLI.",
    '',
    `Reproduce: \`pnpm bench:compare\` (installs zenml[local]==${ZENML_VERSION} into bench/.venv on first use). The workloads: bench/strata/pipelines.ts and bench/zenml/pipelines.py.`,
  )
  const markdown = `${lines.join('\n')}\n`
  process.stdout.write(markdown)
  if (!options.smoke) writeResults(options.out ?? join(benchDir, 'results', 'latest.md'), markdown)
} finally {
  rmSync(workDir, { recursive: true, force: true })
}
