// Class 7 of the fault suite: a foreseeable fault is an error with a code and a fix, never "this is a bug in
// Strata". Through the real binary: the store locked by another process past a (small) busy timeout; a
// step whose record meets a lock shorter than the timeout (it waits) and one longer (the step stays
// completed, the run fails with the store's error once the store takes it, and resumes); two runs with one
// runName, one after the other and at once; pages and sizes past any count; a journal object that is not
// JSON; a full disk (a small tmpfs in a private mount namespace) before a run, and in the middle of one,
// whether the store takes the run's end before the process exits or liveness settles it after. After
// each fault: the store passes SQLite's integrity check, no run is left running without a live owner, no
// completed artifact is lost, no canary printed.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSandbox, link, type Result, type Sandbox } from '../helpers.js'
import { afterFault } from './after-fault.js'
import { faultReport } from './fault-report.js'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..')
const report = faultReport('foreseeable-errors')
const CANARY = 'canary-foreseeable-9d2c44'

const PIPELINES = `
import { closeSync, existsSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { pipeline, step } from '@strata/sdk'

const mark = (name: string) => process.env.MARKS_DIR + '/' + name
const until = async (name: string) => { while (!existsSync(mark(name))) await sleep(20) }
const stopped = (signal: AbortSignal) =>
  new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })))

export const produce = step({ name: 'produce', secrets: ['fault_canary'] }, async () => {
  console.log('producing with', process.env.FAULT_TOKEN)
  return [1, 2, 3]
})
export const small = pipeline({ name: 'small' }, () => { produce() })
export const journaled = pipeline({ name: 'journaled', cache: false }, () => { produce() })

// Has another process lock the store, then returns: its record meets the lock.
export const hold = step({ name: 'hold' }, async () => {
  if (process.env.WATCH === '1') await until('watching')
  writeFileSync(mark('lock'), '')
  await until('locked')
  return 'held'
})

// Fills the disk the store is on, then returns: its record finds no room.
export const fill = step({ name: 'fill' }, async () => {
  if (process.env.WATCH === '1') await until('watching')
  const file = openSync(process.env.FILL!, 'w')
  try {
    for (const size of [65536, 4096, 1]) {
      const chunk = Buffer.alloc(size, 1)
      try { for (;;) writeSync(file, chunk) } catch (error) { if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error }
    }
  } finally { closeSync(file) }
  return 'filled'
})

// Waits for the run to stop (the store refused a record), then gives the store back: the lock released,
// the disk freed. Without WATCH it has nothing to do (a resumed run).
export const watch = step({ name: 'watch', outputs: [] }, async (_inputs, ctx) => {
  if (process.env.WATCH !== '1') return
  writeFileSync(mark('watching'), '')
  await stopped(ctx.signal)
  if (process.env.FILL) rmSync(process.env.FILL)
  else {
    writeFileSync(mark('release'), '')
    await until('released')
  }
})
export const locking = pipeline({ name: 'locking', cache: false }, () => { hold(); watch() })
export const filling = pipeline({ name: 'filling', cache: false }, () => { fill(); watch() })
export const overflowing = pipeline({ name: 'overflowing', cache: false }, () => { fill() })
`

/**
 * Another process that locks the store when the mark \`lock\` appears (writing \`locked\`), and lets it go
 * after \`hold\` ms, or when the mark \`release\` appears.
 */
const HOLDER = `
const { DatabaseSync } = require('node:sqlite')
const { existsSync, writeFileSync } = require('node:fs')
const [path, marks, hold] = process.argv.slice(1)
const when = (name, then) => { const timer = setInterval(() => { if (existsSync(marks + '/' + name)) { clearInterval(timer); then() } }, 10) }
when('lock', () => {
  const db = new DatabaseSync(path, { timeout: 60000 })
  db.exec('BEGIN IMMEDIATE')
  writeFileSync(marks + '/locked', '')
  const release = () => { db.exec('ROLLBACK'); db.close(); writeFileSync(marks + '/released', ''); process.exit(0) }
  if (hold === 'release') when('release', release)
  else setTimeout(release, Number(hold))
})
`

let sandbox: Sandbox
let marksDir: string
const outputs: Result[] = []
const children: ChildProcess[] = []

/** The CLI, in `namespace` (a mount namespace's holder pid) when given; every result is kept for the canary check. */
function strata(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; namespace?: number } = {},
): Promise<Result> {
  const env = { FAULT_TOKEN: CANARY, MARKS_DIR: marksDir, ...options.env }
  const through =
    options.namespace === undefined
      ? undefined
      : ['nsenter', `--mount=/proc/${options.namespace}/ns/mnt`, `--wd=${sandbox.project}`, '--']
  const run = sandbox.strata(args, { env, ...(through ? { through } : {}) })
  return run.then((result) => {
    outputs.push(result)
    return result
  })
}

function clearMarks(): void {
  rmSync(marksDir, { recursive: true, force: true })
  mkdirSync(marksDir, { recursive: true })
}

function startHolder(hold: string, storePath = join(sandbox.configDir, 'strata.db')): ChildProcess {
  const child = spawn(process.execPath, ['-e', HOLDER, storePath, marksDir, hold], { stdio: 'ignore' })
  children.push(child)
  return child
}

async function until(what: string, condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition(); waited += 20) {
    if (waited > 60_000) throw new Error(`timed out waiting for ${what}`)
    await sleep(20)
  }
}

function runName(output: string): string {
  const match = /^run (\S+): \d+ steps? on stack/m.exec(output)
  if (!match?.[1]) throw new Error(`no run name in: ${output}`)
  return match[1]
}

interface Described {
  status: string
  error: string | null
  steps: Array<{ name: string; status: string; error: string | null }>
}

async function describeRun(name: string, namespace?: number): Promise<Described> {
  const result = await strata(
    ['pipeline', 'runs', 'describe', name, '--output', 'json'],
    namespace === undefined ? {} : { namespace },
  )
  return JSON.parse(result.stdout) as Described
}

/** Records a fault: every problem found, then the after-fault checks (on `configDir` when the store is elsewhere). */
async function tried(fault: string, problems: string[], configDir?: string): Promise<void> {
  for (const result of outputs) {
    if (/bug in Strata/.test(result.stderr)) problems.push(`a bug line: ${result.stderr.trim()}`)
  }
  problems.push(
    ...(await afterFault(configDir ? { ...sandbox, configDir } : sandbox, { outputs, canaries: [CANARY] })),
  )
  report.tried(fault, problems.length === 0)
  expect(problems).toEqual([])
}

beforeAll(async () => {
  sandbox = createSandbox()
  link(join(repo, 'packages/sdk'), join(sandbox.project, 'node_modules/@strata/sdk'))
  writeFileSync(join(sandbox.project, 'pipelines.ts'), PIPELINES)
  writeFileSync(join(sandbox.project, 'nightly.yaml'), 'runName: nightly\n')
  writeFileSync(join(sandbox.project, 'twice.yaml'), 'runName: twice\n')
  marksDir = join(sandbox.project, 'marks')
  clearMarks()
  const created = await strata(['secret', 'create', 'fault_canary', `--token=${CANARY}`])
  expect(created.code, created.stderr).toBe(0)
  // The default stack, made by the first command that needs stacks (a write).
  const stacks = await strata(['stack', 'list'])
  expect(stacks.code, stacks.stderr).toBe(0)
}, 60_000)
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
  sandbox?.cleanup()
})

describe('a store another process holds', () => {
  it('locked past the busy timeout: a coded error naming the holder; reads go on', async () => {
    const problems: string[] = []
    clearMarks()
    const holder = startHolder('release')
    writeFileSync(join(marksDir, 'lock'), '')
    await until('the lock', () => existsSync(join(marksDir, 'locked')))
    const busy = { STRATA_STORE_BUSY_TIMEOUT_MS: '200' }
    const write = await strata(['secret', 'create', 'other', '--key=value'], { env: busy })
    const expected = `Error: the Strata store at ${join(sandbox.configDir, 'strata.db')} stayed locked by process ${holder.pid} (node) for longer than the busy timeout (200 ms) — wait for it to finish and retry, or wait longer with STRATA_STORE_BUSY_TIMEOUT_MS\n`
    if (write.code !== 1 || write.stderr !== expected)
      problems.push(`secret create: ${write.code} ${write.stderr}`)
    // A reader never waits for a writer (WAL).
    for (const command of [
      ['stack', 'list'],
      ['secret', 'list'],
    ]) {
      const read = await strata(command, { env: busy })
      if (read.code !== 0) problems.push(`${command.join(' ')}: ${read.stderr}`)
    }
    writeFileSync(join(marksDir, 'release'), '')
    await until('the release', () => existsSync(join(marksDir, 'released')))
    const after = await strata(['secret', 'list', '--output', 'json'])
    if (after.stdout.includes('"other"')) problems.push('the refused secret was written')
    await tried('store locked past the busy timeout', problems)
  }, 60_000)

  it('a lock shorter than the busy timeout while a step records: the record waits, the step completes', async () => {
    const problems: string[] = []
    clearMarks()
    // The subject is the wait: the busy timeout is set to 4 s and the holder keeps the lock for a tenth of
    // it from before the step's record is written; the rest is the margin for the step to get there.
    const busyTimeoutMs = 4000
    startHolder(String(busyTimeoutMs / 10))
    const run = await strata(['pipeline', 'run', 'pipelines.ts', '--name', 'locking'], {
      env: { STRATA_STORE_BUSY_TIMEOUT_MS: String(busyTimeoutMs) },
    })
    if (run.code !== 0) problems.push(`the run: ${run.stdout}${run.stderr}`)
    const described = await describeRun(runName(run.stdout))
    if (described.status !== 'completed' || described.steps.some((step) => step.status !== 'completed'))
      problems.push(`the run: ${JSON.stringify(described)}`)
    await tried('store locked briefly while a step records', problems)
  }, 60_000)

  it('a lock past the busy timeout while a step records: the step stays completed, the run fails with the fix, resume finishes it', async () => {
    const problems: string[] = []
    clearMarks()
    startHolder('release')
    const run = await strata(['pipeline', 'run', 'pipelines.ts', '--name', 'locking'], {
      env: { STRATA_STORE_BUSY_TIMEOUT_MS: '300', WATCH: '1' },
    })
    const name = runName(run.stdout)
    if (run.code !== 1) problems.push(`exit ${run.code}`)
    const ended = new RegExp(
      `^run ${name}: failed — the Strata store at \\S+ stayed locked by process \\d+ \\(node\\) for longer than the busy timeout \\(300 ms\\) — wait for it to finish and retry, or wait longer with STRATA_STORE_BUSY_TIMEOUT_MS; then 'strata pipeline runs resume ${name}' runs what did not finish$`,
      'm',
    )
    if (!ended.test(run.stdout)) problems.push(`the run's end: ${run.stdout}${run.stderr}`)
    const described = await describeRun(name)
    const states = Object.fromEntries(described.steps.map((step) => [step.name, step.status]))
    if (described.status !== 'failed' || states.hold !== 'completed' || states.watch !== 'stopped')
      problems.push(`recorded: ${described.status} ${JSON.stringify(states)}`)
    const resumed = await strata(['pipeline', 'runs', 'resume', name])
    if (resumed.code !== 0) problems.push(`resume: ${resumed.stdout}${resumed.stderr}`)
    const after = await describeRun(name)
    if (after.status !== 'completed') problems.push(`after resume: ${JSON.stringify(after)}`)
    await tried('store locked past the busy timeout while a step records', problems)
  }, 60_000)
})

describe('names and numbers', () => {
  it('a runName taken, one run after the other: the second is refused with the fix, the store unchanged', async () => {
    const problems: string[] = []
    const first = await strata([
      'pipeline',
      'run',
      'pipelines.ts',
      '--name',
      'small',
      '--config',
      'nightly.yaml',
    ])
    if (first.code !== 0) problems.push(`first: ${first.stderr}`)
    const before = sandbox.dump()
    const second = await strata([
      'pipeline',
      'run',
      'pipelines.ts',
      '--name',
      'small',
      '--config',
      'nightly.yaml',
    ])
    const expected =
      "Error: a run named 'nightly' already exists — give this run another name (runName, in the run config or in run()), or leave runName out to get a new name each run\n"
    if (second.code !== 1 || second.stderr !== expected)
      problems.push(`second: ${second.code} ${second.stderr}`)
    if (JSON.stringify(sandbox.dump()) !== JSON.stringify(before))
      problems.push('the refused run changed the store')
    await tried('runName taken (one after the other)', problems)
  }, 60_000)

  it('a runName taken by a run started at the same time: one runs, the other is refused', async () => {
    const problems: string[] = []
    const results = await Promise.all(
      [0, 1].map(() =>
        strata(['pipeline', 'run', 'pipelines.ts', '--name', 'small', '--config', 'twice.yaml']),
      ),
    )
    const codes = results.map((result) => result.code).sort()
    if (codes.join() !== '0,1') problems.push(`exits ${codes.join()}`)
    const refused = results.find((result) => result.code === 1)
    if (!refused?.stderr.startsWith("Error: a run named 'twice' already exists — give this run another name"))
      problems.push(`refused: ${refused?.stderr}`)
    await tried('runName taken (at the same time)', problems)
  }, 60_000)

  it.each(['pipeline runs list', 'artifact list', 'model list', 'stack list'])(
    '--page/--size past any count on %s: a usage error',
    async (words) => {
      const command = words.split(' ')
      const problems: string[] = []
      for (const [option, value] of [
        ['--page', '1e19'],
        ['--size', '18446744073709551616'],
        ['--page', '9007199254740993'],
      ] as const) {
        const result = await strata([...command, option, value])
        const expected = `Error: ${option} needs a whole number from 0 to 9007199254740991, got '${value}' — see 'strata ${command.join(' ')} --help'\n`
        if (result.code !== 2 || result.stderr !== expected)
          problems.push(`${option} ${value}: ${result.code} ${result.stderr}`)
      }
      // The largest one taken is a page past the end: empty, not an error.
      const far = await strata([
        ...command,
        '--page',
        '9007199254740991',
        '--size',
        '9007199254740991',
        '--output',
        'json',
      ])
      if (far.code !== 0 || (JSON.parse(far.stdout) as { items: unknown[] }).items.length !== 0)
        problems.push(`the last page: ${far.code} ${far.stdout}${far.stderr}`)
      await tried(`huge --page/--size: ${command.join(' ')}`, problems)
    },
    60_000,
  )
})

describe('a journal object that is not what its step wrote', () => {
  it('runs sync names it, with a code and the fix', async () => {
    const problems: string[] = []
    writeFileSync(
      join(sandbox.project, 'process.yaml'),
      'settings: { orchestrator.local: { isolation: process } }\n',
    )
    const run = await strata([
      'pipeline',
      'run',
      'pipelines.ts',
      '--name',
      'journaled',
      '--config',
      'process.yaml',
    ])
    if (run.code !== 0) problems.push(`the run: ${run.stdout}${run.stderr}`)
    const name = runName(run.stdout)
    const described = JSON.parse(
      (await strata(['pipeline', 'runs', 'describe', name, '--output', 'json'])).stdout,
    ) as { id: string }
    // The default artifact store's folder is named by its component's id.
    const stores = join(sandbox.configDir, 'local_stores')
    const journal =
      readdirSync(stores)
        .map((folder) => join(stores, folder, 'runs', described.id, 'journal/produce'))
        .find((folder) => existsSync(folder)) ?? ''
    const objects = readdirSync(journal)
    const last = objects.sort().at(-1)
    if (!last) throw new Error(`no journal in ${journal}`)
    writeFileSync(join(journal, last), '[{"type": "step_comp')
    const synced = await strata(['pipeline', 'runs', 'sync', name])
    const key = `runs/${described.id}/journal/produce/${last}`
    const expected = new RegExp(
      `^Error: the journal object ${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} in the run's artifact store is not valid JSON \\(.+\\) — it was cut short or changed after its step wrote it: put the original back, or delete it \\(its events are lost; 'strata pipeline runs resume RUN' runs the step again\\), then sync again\\n$`,
    )
    if (synced.code !== 1 || !expected.test(synced.stderr))
      problems.push(`sync: ${synced.code} ${synced.stderr}`)
    rmSync(join(journal, last))
    await tried('malformed journal in runs sync', problems)
  }, 60_000)
})

/**
 * A small tmpfs mounted on the store's directory in a private mount namespace, kept by a sleeping process:
 * commands join it with nsenter, and this process reads it through /proc/PID/root. `undefined`, with why,
 * where the machine does not allow it (not root, no unshare).
 */
async function fullDiskNamespace(size: string): Promise<{ pid: number; view: string } | { skip: string }> {
  const probe = spawnSync('unshare', ['--mount', '--propagation', 'private', 'true'], { encoding: 'utf8' })
  if (probe.status !== 0)
    return {
      skip: `unshare --mount is not allowed here: ${(probe.stderr || probe.error?.message || '').trim()}`,
    }
  mkdirSync(sandbox.configDir, { recursive: true })
  const child = spawn(
    'unshare',
    [
      '--mount',
      '--propagation',
      'private',
      'sh',
      '-c',
      `mount -t tmpfs -o size=${size} tmpfs "$0" && echo ready && exec sleep 600`,
      sandbox.configDir,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  children.push(child)
  let said = ''
  child.stdout?.on('data', (chunk) => (said += chunk))
  child.stderr?.on('data', (chunk) => (said += chunk))
  await until('the tmpfs', () => said.includes('ready') || child.exitCode !== null)
  if (!said.includes('ready') || child.pid === undefined)
    return { skip: `cannot mount a tmpfs here: ${said.trim()}` }
  return { pid: child.pid, view: `/proc/${child.pid}/root${sandbox.configDir}` }
}

describe('a full disk', () => {
  let namespace: { pid: number; view: string } | { skip: string }
  let fill: string
  beforeAll(async () => {
    namespace = await fullDiskNamespace('3m')
    if ('skip' in namespace) {
      process.stdout.write(`faults foreseeable-errors: full-disk faults skipped — ${namespace.skip}\n`)
      return
    }
    fill = join(sandbox.configDir, 'filler')
    const setup = [
      ['secret', 'create', 'fault_canary', `--token=${CANARY}`],
      // Artifacts live off the small disk: what fills up is the store's.
      [
        'artifact-store',
        'register',
        'outside',
        '--flavor',
        'local',
        `--path=${join(sandbox.project, 'artifacts')}`,
      ],
      ['stack', 'register', 'roomy', '-o', 'default', '-a', 'outside', '--set'],
    ]
    for (const args of setup) {
      const result = await strata(args, { namespace: namespace.pid })
      expect(result.code, result.stderr).toBe(0)
    }
  }, 60_000)

  const inNamespace = () => {
    if ('skip' in namespace) throw new Error(namespace.skip)
    return namespace
  }

  it('in the middle of a run, freed before the run ends: the run fails with the reason, its completed step kept', async (context) => {
    if ('skip' in namespace) return context.skip(namespace.skip)
    const { pid, view } = inNamespace()
    const problems: string[] = []
    clearMarks()
    const run = await strata(['pipeline', 'run', 'pipelines.ts', '--name', 'filling'], {
      namespace: pid,
      env: { FILL: fill, WATCH: '1' },
    })
    const name = runName(run.stdout)
    if (run.code !== 1) problems.push(`exit ${run.code}`)
    const ended = new RegExp(
      `^run ${name}: failed — cannot write to the Strata store at \\S+: the disk is full — free space on the disk that holds \\S+, then retry; then 'strata pipeline runs resume ${name}' runs what did not finish$`,
      'm',
    )
    if (!ended.test(run.stdout)) problems.push(`the run's end: ${run.stdout}${run.stderr}`)
    const described = await describeRun(name, pid)
    const states = Object.fromEntries(described.steps.map((step) => [step.name, step.status]))
    if (described.status !== 'failed' || states.fill !== 'completed')
      problems.push(`recorded: ${described.status} ${JSON.stringify(states)}`)
    await tried('full disk in a run, freed before it ends', problems, view)
  }, 60_000)

  it('in the middle of a run, still full when it ends: a coded error; once freed, the next list fails the run', async (context) => {
    if ('skip' in namespace) return context.skip(namespace.skip)
    const { pid, view } = inNamespace()
    const problems: string[] = []
    const run = await strata(['pipeline', 'run', 'pipelines.ts', '--name', 'overflowing'], {
      namespace: pid,
      env: { FILL: fill },
    })
    const name = runName(run.stdout)
    const full =
      /cannot write to the Strata store at \S+: the disk is full( \(no room for \S+\))? — free space on the disk that holds \S+, then retry/
    // The store took the run's end after all (SQLite found room in its log), or the run is left to liveness.
    const markedFailed = new RegExp(`^run ${name}: failed — ${full.source}`, 'm').test(run.stdout)
    const leftToLiveness = new RegExp(
      `^Error: ${full.source} \\(run ${name} could not be marked failed either: once this process has ended, 'strata pipeline runs list' marks it failed\\)\\n$`,
    ).test(run.stderr)
    if (run.code !== 1 || !(markedFailed || leftToLiveness))
      problems.push(`the run: ${run.code} ${run.stdout}${run.stderr}`)
    // Another command on the full disk (the run's end may have freed its log's room: fill it again): the
    // same coded error, nothing written.
    spawnSync('nsenter', [`--mount=/proc/${pid}/ns/mnt`, '--', 'sh', '-c', `cat /dev/zero >> "${fill}"`])
    const secret = await strata(['secret', 'create', 'more', '--key=value'], { namespace: pid })
    if (secret.code !== 1 || !full.test(secret.stderr))
      problems.push(`secret create: ${secret.code} ${secret.stderr}`)
    rmSync(join(view, 'filler'))
    const listed = JSON.parse(
      (await strata(['pipeline', 'runs', 'list', '--output', 'json'], { namespace: pid })).stdout,
    ) as { items: Array<{ name: string; status: string; error: string | null }> }
    const settled = listed.items.find((item) => item.name === name)
    if (settled?.status !== 'failed') problems.push(`after freeing: ${JSON.stringify(settled)}`)
    const checked = await strata(['store', 'check'], { namespace: pid })
    if (checked.code !== 0) problems.push(`store check: ${checked.stdout}${checked.stderr}`)
    await tried(
      `full disk in a run, still full at its end (${markedFailed ? 'marked failed' : 'left to liveness'})`,
      problems,
      view,
    )
  }, 60_000)

  it('before a run: the run is refused with the coded error and no run is recorded', async (context) => {
    if ('skip' in namespace) return context.skip(namespace.skip)
    const { pid, view } = inNamespace()
    const problems: string[] = []
    const runs = async () =>
      (
        JSON.parse(
          (await strata(['pipeline', 'runs', 'list', '--output', 'json'], { namespace: pid })).stdout,
        ) as {
          pagination: { total: number }
        }
      ).pagination.total
    const before = await runs()
    const filler = spawnSync('nsenter', [
      `--mount=/proc/${pid}/ns/mnt`,
      '--',
      'sh',
      '-c',
      `cat /dev/zero > "${fill}"`,
    ])
    if (filler.status === 0) problems.push('the disk did not fill')
    const run = await strata(['pipeline', 'run', 'pipelines.ts', '--name', 'small'], { namespace: pid })
    if (
      run.code !== 1 ||
      !/^Error: (cannot write to the Strata store at \S+: the disk is full|the Strata store at \S+ could not be read or written)/.test(
        run.stderr,
      )
    )
      problems.push(`the run: ${run.code} ${run.stdout}${run.stderr}`)
    rmSync(join(view, 'filler'))
    if ((await runs()) !== before) problems.push('a run was recorded')
    await tried('full disk before a run', problems, view)
  }, 60_000)
})
