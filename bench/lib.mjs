// Shared by `pnpm bench` (run.mjs) and `pnpm bench:compare` (compare.mjs): one process per measurement,
// rounds interleaved, medians and spreads, a Markdown table, and the machine it ran on.
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, platform, release, totalmem } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const benchDir = fileURLToPath(new URL('.', import.meta.url))
export const rootDir = fileURLToPath(new URL('..', import.meta.url))

/** Parses `--rounds N`, `--check`, `--smoke`, `--out FILE` from the command line. */
export function parseArgs(argv, { defaultRounds }) {
  const value = (flag) => {
    const index = argv.indexOf(flag)
    return index === -1 ? undefined : argv[index + 1]
  }
  const rounds = Number(value('--rounds') ?? defaultRounds)
  if (!Number.isInteger(rounds) || rounds < 1)
    fail(`--rounds must be a positive integer, got '${value('--rounds')}'`)
  return { rounds, check: argv.includes('--check'), smoke: argv.includes('--smoke'), out: value('--out') }
}

export function fail(message) {
  process.stderr.write(`bench: ${message}\n`)
  process.exit(1)
}

/**
 * Runs a command to completion; returns its wall time (ms) and, when it printed one, the last JSON line
 * of its standard output. A failing command stops the benchmark with its output.
 */
export function measure(command, args, options = {}) {
  const started = process.hrtime.bigint()
  const result = spawnSync(command, args, {
    cwd: options.cwd,
    env: options.env,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6
  if (result.status !== 0) {
    fail(
      `'${[command, ...args].join(' ')}' failed (exit ${result.status ?? result.signal}):\n${(result.stderr || result.stdout).slice(-4000)}`,
    )
  }
  return { wallMs, ...lastJson(result.stdout) }
}

/**
 * {@link measure} without blocking this process's event loop, for harnesses that keep servers with piped
 * output running beside the measurement (a blocked reader would stall them once their pipe fills). Rejects
 * with the command's output when it fails.
 */
export function measureAsync(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint()
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      stdout += chunk
    })
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
      stderr = (stderr + chunk).slice(-16_000)
    })
    child.once('error', reject)
    child.once('close', (code, signal) => {
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6
      if (code !== 0) {
        reject(
          new Error(
            `'${[command, ...args].join(' ')}' failed (exit ${code ?? signal}):\n${(stderr || stdout).slice(-4000)}`,
          ),
        )
        return
      }
      resolve({ wallMs, ...lastJson(stdout) })
    })
  })
}

/** The whole output when it is one JSON object (pretty-printed or not), else its last JSON line. */
function lastJson(stdout) {
  const text = stdout.trim()
  if (text.startsWith('{') && text.endsWith('}')) {
    try {
      return JSON.parse(text)
    } catch {}
  }
  const line = text
    .split('\n')
    .reverse()
    .find((candidate) => candidate.startsWith('{'))
  return line ? JSON.parse(line) : {}
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/** Median, min and max of one metric over the rounds. */
export function summarize(values) {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), n: values.length }
}

export function formatValue(value, unit) {
  if (unit === '×') return `${value.toFixed(2)}×`
  if (unit === 'ms/step') return `${value.toFixed(2)} ms/step`
  if (Math.abs(value) >= 1000) return `${(value / 1000).toFixed(2)} s`
  return `${value.toFixed(value < 10 ? 2 : 1)} ms`
}

/** `median (min–max)` of a summary. */
export function formatSummary(summary, unit) {
  if (!summary) return 'n/a'
  if (summary.n === 1) return formatValue(summary.median, unit)
  return `${formatValue(summary.median, unit)} (${formatValue(summary.min, unit)}–${formatValue(summary.max, unit)})`
}

/** The machine, as the results table prints it. */
export function machineInfo() {
  const cpu = cpus()
  let os = `${platform()} ${release()}`
  try {
    const pretty = readFileSync('/etc/os-release', 'utf8').match(/^PRETTY_NAME="?([^"\n]*)"?/m)?.[1]
    if (pretty) os = `${pretty} (${os})`
  } catch {}
  return {
    cpu: `${cpu[0]?.model?.trim() ?? 'unknown CPU'}, ${cpu.length} logical cores`,
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    os,
    node: process.version,
  }
}

/** The commit measured, marked when the packages' working tree differs from it (what was built and run). */
export function gitRevision() {
  try {
    const git = (args) => execFileSync('git', args, { cwd: rootDir, encoding: 'utf8' }).trim()
    const commit = git(['rev-parse', '--short', 'HEAD'])
    const changed = git([
      'status',
      '--porcelain',
      '--untracked-files=no',
      '--',
      'apps',
      'packages',
      'plugins',
    ])
    return changed ? `${commit} (with uncommitted changes in apps/, packages/ or plugins/)` : commit
  } catch {
    return 'unknown'
  }
}

export function writeResults(file, markdown) {
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, markdown)
}

/** The Strata CLI bin and the step workloads' driver, on the pinned Node. */
export const strata = {
  node: process.execPath,
  cli: fileURLToPath(new URL('../apps/cli/bin/strata.mjs', import.meta.url)),
  driver: fileURLToPath(new URL('./strata/driver.ts', import.meta.url)),
}

/** Stops with the fix when a package the benchmark runs is not built (`more`: paths under the root). */
export function requireBuild(more = []) {
  for (const built of [
    'apps/cli/dist/main.js',
    'packages/sdk/dist/index.js',
    'plugins/local/dist/index.js',
    ...more,
  ]) {
    if (!existsSync(join(rootDir, built)))
      fail(`${built} is missing — run 'pnpm build' first (the root bench scripts do)`)
  }
}
