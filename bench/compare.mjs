#!/usr/bin/env node
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
// `pnpm bench:compare [--rounds N] [--size full|reduced] [--smoke] [--install-only]`: the same workloads on Strata
// and on a pinned ZenML release, interleaved (each measurement runs on both, in alternating order, one process
// each), at least 5 rounds. Both sides' rows include opening the store inside the timed call and count the
// interpreter's start in the start-up row; ZenML's chains are also run with its log storage off, Strata's with
// SQLite synchronous=FULL, and both stores' durability settings are printed. `--size reduced` shrinks the
// workloads (a busy 2-core machine runs 3 rounds of it in about 10 minutes). Prints a Markdown table of
// medians, spreads and ZenML ÷ Strata, and writes it to bench/results/latest.md (full size) or
// bench/results/latest-reduced.md.
import { DatabaseSync } from 'node:sqlite'
import {
  benchDir,
  formatSummary,
  gitRevision,
  machineInfo,
  measure,
  median,
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
const sizeArg = process.argv.includes('--size') ? process.argv[process.argv.indexOf('--size') + 1] : 'full'
if (sizeArg !== 'full' && sizeArg !== 'reduced') {
  log(`bench: --size must be 'full' or 'reduced', got '${sizeArg}'`)
  process.exit(1)
}
const versions = ensureZenml(log)
if (process.argv.includes('--install-only')) {
  log(`ZenML ${versions.zenml} on Python ${versions.python} is ready in bench/.venv`)
  process.exit(0)
}
requireBuild()
/** The full workloads' shape at a fraction of their length: ZenML takes seconds per step on a busy machine. */
const REDUCED = { short: 10, long: 20, cached: 20, components: 10, stacks: 4 }
const size = { ...sizes(options.smoke), ...(sizeArg === 'reduced' && !options.smoke ? REDUCED : {}) }
const workDir = mkdtempSync(join(tmpdir(), 'strata-bench-compare-'))
const started = Date.now()
const loadBefore = loadavg()

try {
  const strata = strataFramework(workDir)
  const zenml = zenmlFramework(workDir)
  // Strata with every commit synced (SQLite synchronous=FULL, as ZenML's store runs), on its own store.
  const strataFullDir = join(workDir, 'strata-config-full')
  const strataFull = {
    ...process.env,
    STRATA_CONFIG_DIR: strataFullDir,
    NO_COLOR: '1',
    STRATA_STORE_SYNCHRONOUS: 'full',
  }
  // Untimed: each store is made (and migrated) before the rounds, so no timed call creates one.
  strata.cli(['stack', 'list'])
  strata.driver(['chain', 2, 0])
  strata.driver(['chain', 2, 0], strataFull)
  zenml.driver(['chain', 2, 0])
  zenml.driverWithoutLogs(['chain', 2, 0])

  const measurements = [
    ...sharedMeasurements(size),
    // A footnote: ZenML's `local` orchestrator runs the static pipeline's steps one after another.
    { id: 'fanOutSequential', only: 'zenml', run: (f) => f.driver(['fanout', size.width, size.fanMs]) },
    // The limit of every process row: the interpreter's bare start, `node -e 0` and `python -c pass`.
    { id: 'interpreterStrata', only: 'strata', run: () => measure(process.execPath, ['-e', '0']) },
    { id: 'interpreterZenml', only: 'zenml', run: () => zenml.interpreter() },
    // The log-storage and durability variants: one side changed each, the other side's default row beside it.
    {
      id: 'chainShortNoLogs',
      only: 'zenml',
      run: () => zenml.driverWithoutLogs(['chain', size.short, size.stepMs]),
    },
    {
      id: 'chainLongNoLogs',
      only: 'zenml',
      run: () => zenml.driverWithoutLogs(['chain', size.long, size.stepMs]),
    },
    {
      id: 'chainShortFull',
      only: 'strata',
      run: () => strata.driver(['chain', size.short, size.stepMs], strataFull),
    },
    {
      id: 'chainLongFull',
      only: 'strata',
      run: () => strata.driver(['chain', size.long, size.stepMs], strataFull),
    },
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
  const loadAfter = loadavg()
  const zenmlStore = zenml.durability()
  const strataStore = storeJournalMode(join(workDir, 'strata-config', 'strata.db'))
  const lines = [
    `# Strata vs ZenML ${versions.zenml}`,
    '',
    `${new Date().toISOString().slice(0, 10)}, Strata commit ${gitRevision()}, ${sizeArg === 'reduced' ? 'reduced workloads (--size reduced), ' : ''}${options.rounds} interleaved rounds, one process per measurement and framework; median (min–max); ${Math.round((Date.now() - started) / 1000)} s in all (measured).`,
    '',
    `- cpu: ${info.cpu}`,
    `- memory: ${info.memory}`,
    `- os: ${info.os}`,
    `- load average (1 min) at the start and the end: ${loadBefore[0].toFixed(1)} and ${loadAfter[0].toFixed(1)}`,
    `- Strata: Node ${info.node}; ZenML ${versions.zenml} on Python ${versions.python}, local SQLite store, no server; ZenML install: ${versions.installMs === undefined ? 'already in bench/.venv (not timed in this run)' : `${Math.round(versions.installMs / 1000)} s (measured)`}`,
    `- store durability: Strata SQLite journal_mode=${strataStore}, synchronous=NORMAL (the default; rows marked FULL: STRATA_STORE_SYNCHRONOUS=full); ZenML SQLite journal_mode=${zenmlStore.journalMode}, synchronous=${zenmlStore.synchronous} (SQLite's defaults: ZenML sets only foreign_keys)`,
    "- log storage: ZenML stores every step's and every run's logs by default; Strata stores a step's log only when the step prints (these steps print nothing). Rows marked \"ZenML logs off\" set ZENML_DISABLE_STEP_LOGS_STORAGE and ZENML_DISABLE_PIPELINE_LOGS_STORAGE",
    "- both: the store opens inside the timed run call; the start-up row counts from the process's start (Node: performance.now(); Python: a spawn time the harness passes in)",
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
  const overhead = (m, short, long) =>
    (m[long].runMs - m[short].runMs - (m.loopLong.ms - m.loopShort.ms)) / (size.long - size.short)
  const variants = [
    {
      label: `chain of ${size.long} steps × ${size.stepMs} ms — Strata synchronous=FULL`,
      strata: (m) => m.chainLongFull.runMs,
      zenml: (m) => m.chainLong.runMs,
    },
    {
      label: 'framework overhead per step — Strata synchronous=FULL',
      unit: 'ms/step',
      strata: (m) => overhead(m, 'chainShortFull', 'chainLongFull'),
      zenml: (m) => overhead(m, 'chainShort', 'chainLong'),
    },
    {
      label: `chain of ${size.long} steps × ${size.stepMs} ms — ZenML logs off`,
      strata: (m) => m.chainLong.runMs,
      zenml: (m) => m.chainLongNoLogs.runMs,
    },
    {
      label: 'framework overhead per step — ZenML logs off',
      unit: 'ms/step',
      strata: (m) => overhead(m, 'chainShort', 'chainLong'),
      zenml: (m) => overhead(m, 'chainShortNoLogs', 'chainLongNoLogs'),
    },
    {
      label: 'framework overhead per step — Strata FULL, ZenML logs off',
      unit: 'ms/step',
      strata: (m) => overhead(m, 'chainShortFull', 'chainLongFull'),
      zenml: (m) => overhead(m, 'chainShortNoLogs', 'chainLongNoLogs'),
    },
  ]
  for (const variant of variants) {
    const strataSummary = summarize(strataRounds.map(variant.strata))
    const zenmlSummary = summarize(zenmlRounds.map(variant.zenml))
    const ratio = zenmlSummary.median / strataSummary.median
    lines.push(
      `| ${variant.label} | ${formatSummary(strataSummary, variant.unit)} | ${formatSummary(zenmlSummary, variant.unit)} | ${Number.isFinite(ratio) && ratio > 0 ? `${ratio.toFixed(1)}×` : 'n/a'} |`,
    )
  }
  // Each side against its own interpreter's bare start, measured in the same rounds.
  const nodeStart = summarize(strataRounds.map((m) => m.interpreterStrata.wallMs))
  const pythonStart = summarize(zenmlRounds.map((m) => m.interpreterZenml.wallMs))
  const startRatio = pythonStart.median / nodeStart.median
  lines.push(
    `| the limit: interpreter start (\`node -e 0\` / \`python -c pass\`) | ${formatSummary(nodeStart)} | ${formatSummary(pythonStart)} | ${startRatio.toFixed(1)}× |`,
  )
  const times = (rounds, pick, limit) => (median(rounds.map(pick)) / limit.median).toFixed(1)
  lines.push(
    '',
    `Against that limit (each side's median ÷ its own interpreter's): \`--help\` ${times(strataRounds, (m) => m.help.wallMs, nodeStart)}× (Strata) and ${times(zenmlRounds, (m) => m.help.wallMs, pythonStart)}× (ZenML); \`stack list\` ${times(strataRounds, (m) => m.stackList.wallMs, nodeStart)}× and ${times(zenmlRounds, (m) => m.stackList.wallMs, pythonStart)}×; process start to pipeline code loaded ${times(strataRounds, (m) => m.chainShort.startMs, nodeStart)}× and ${times(zenmlRounds, (m) => m.chainShort.startMs, pythonStart)}×.`,
  )
  const sequential = summarize(zenmlRounds.map((m) => m.fanOutSequential.runMs))
  lines.push(
    '',
    `¹ Strata: the \`local\` orchestrator, in-process steps (up to 32 at a time). ZenML ${versions.zenml} has no \`local_threaded\` orchestrator, so its parallel path is measured instead: the same fan-out as a dynamic pipeline (\`@pipeline(dynamic=True)\`, \`step.submit()\`) with ZENML_DYNAMIC_PIPELINE_WORKER_COUNT=${size.width}. Its \`local\` orchestrator runs the static pipeline's steps one by one: ${formatSummary(sequential)}.`,
    '',
    "The CLI rows are process wall times. Pipeline rows are the time of the run call inside the process (start-up is its own row). The overhead row is per round: (long chain − short chain − (long loop − short loop)) ÷ the extra steps, with each loop of the same waits measured in the framework's own language. Registration goes through each framework's API in one process (ZenML: `Client().create_stack_component` / `create_stack`; Strata: `prepareComponent` + the store's repositories, as `strata ... register` does), into a fresh store per round; the list rows then time the CLI.",
    '',
    `Reproduce: \`pnpm bench:compare${sizeArg === 'reduced' ? ` --size reduced --rounds ${options.rounds}` : ''}\` (installs zenml[local]==${ZENML_VERSION} into bench/.venv on first use). The workloads: bench/strata/pipelines.ts and bench/zenml/pipelines.py.`,
  )
  const markdown = `${lines.join('\n')}\n`
  process.stdout.write(markdown)
  if (!options.smoke)
    writeResults(
      options.out ?? join(benchDir, 'results', sizeArg === 'reduced' ? 'latest-reduced.md' : 'latest.md'),
      markdown,
    )
} finally {
  rmSync(workDir, { recursive: true, force: true })
}

/** The journal mode recorded in a Strata store file (WAL is persistent; synchronous is per connection). */
function storeJournalMode(path) {
  const db = new DatabaseSync(path, { readOnly: true })
  try {
    return db.prepare('PRAGMA journal_mode').get().journal_mode
  } finally {
    db.close()
  }
}
