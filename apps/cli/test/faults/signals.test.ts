// Class 1 and 2 of the fault suite: a step that dies is a failure, not a user's stop, and an active run is
// protected. Through the real binary, in both isolations: a step process killed by a signal the run did not
// send (SIGKILL, SIGSEGV, a SIGTERM from elsewhere) fails its attempt with the signal named, and its retry
// policy runs it again in a new process; the CLI killed with SIGKILL or SIGSEGV (in-process, the step's
// death is the CLI's) at seeded random points of a run (the seed is printed; set FAULT_SEED to replay it)
// leaves no run running once its owner is gone, keeps what completed, and the run
// resumes to its end; SIGTERM stops a run as Ctrl-C does (stopped, exit 130, no step process left);
// `runs delete` refuses a running run with the fix and `--force` stops and deletes it; eight runs at once on
// one store all complete. After each fault: the store passes SQLite's integrity check, no run is left
// running without a live owner, no completed artifact lost or altered, no canary printed.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BIN, createSandbox, link, ok, type Result, type Sandbox } from '../helpers.js'
import { afterFault } from './after-fault.js'
import { faultReport } from './fault-report.js'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..')
const report = faultReport('signals')
const CANARY = 'canary-signals-5e91a7'

const PIPELINES = `
import { appendFileSync, existsSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { input, pipeline, step } from '@strata/sdk'
import { z } from 'zod'

const mark = (what: string) => appendFileSync(process.env.MARKS!, what + '\\n')
const opened = (gate: string) => existsSync(process.env.GATES + '/' + gate)

// Marks its process, then waits for its gate (or the run's stop).
const waiting = { params: z.object({ gate: z.string() }), secrets: ['fault_canary'] }
async function wait(ctx: { params: { gate: string }; signal: AbortSignal }) {
  console.log('waiting with', process.env.FAULT_TOKEN)
  mark(ctx.params.gate + ' ' + process.pid)
  while (!opened(ctx.params.gate) && !ctx.signal.aborted) await sleep(25)
}
export const victim = step({ name: 'victim', ...waiting, retry: { maxRetries: 1, delay: 10 } }, async (_inputs, ctx) => {
  await wait(ctx)
  return 'survived'
})
export const fragile = step({ name: 'fragile', ...waiting }, async (_inputs, ctx) => {
  await wait(ctx)
  return 'survived'
})
export const deaths = pipeline({ name: 'deaths', cache: false, failureMode: 'continue_on_failure' }, () => {
  victim({ params: { gate: 'victim' } })
  fragile({ params: { gate: 'fragile' } })
})
export const holding = pipeline({ name: 'holding', cache: false }, () => {
  fragile({ params: { gate: 'held' } })
})

// A chain of short steps, each keeping an artifact: a run the CLI can be killed anywhere in.
const link = (name: string) =>
  step({ name, inputs: { values: input<number[]>() } }, async ({ values }) => {
    mark('chain ' + process.pid)
    await sleep(100)
    return [...values, values.length]
  })
export const head = step({ name: 'head' }, async () => {
  mark('chain ' + process.pid)
  return [0]
})
export const middle = link('middle')
export const tail = link('tail')
export const last = link('last')
export const chain = pipeline({ name: 'chain', cache: false }, () => {
  last({ values: tail({ values: middle({ values: head() }) }) })
})
`

/** A seeded generator (mulberry32): the kill points of a run of this file can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let value = state
    value = Math.imul(value ^ (value >>> 15), value | 1)
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61)
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296
  }
}
const SEED = Number(process.env.FAULT_SEED ?? Math.floor(Math.random() * 2 ** 32))
const next = random(SEED)
process.stdout.write(`faults signals: seed ${SEED} (FAULT_SEED=${SEED} replays the kill points)\n`)

let sandbox: Sandbox
let marks: string
let gates: string
const outputs: Result[] = []

beforeAll(async () => {
  sandbox = createSandbox()
  link(join(repo, 'packages/sdk'), join(sandbox.project, 'node_modules/@strata/sdk'))
  writeFileSync(join(sandbox.project, 'pipelines.ts'), PIPELINES)
  writeFileSync(
    join(sandbox.project, 'process.yaml'),
    'settings: { orchestrator.local: { isolation: process } }\n',
  )
  marks = join(sandbox.project, 'marks.log')
  gates = join(sandbox.project, 'gates')
  await ok(sandbox, ['secret', 'create', 'fault_canary', `--token=${CANARY}`])
}, 60_000)
afterAll(() => sandbox?.cleanup())

function reset(): void {
  writeFileSync(marks, '')
  rmSync(gates, { recursive: true, force: true })
  mkdirSync(gates)
}
const open = (gate: string) => writeFileSync(join(gates, gate), '')
const env = (): NodeJS.ProcessEnv => ({ MARKS: marks, GATES: gates, FAULT_TOKEN: CANARY })

async function strata(args: string[]): Promise<Result> {
  const result = await sandbox.strata(args, { env: env() })
  outputs.push(result)
  return result
}

/** Starts a run of the built CLI without waiting for it. */
function start(
  pipeline: string,
  isolation: Isolation,
): { child: ChildProcess; exit: Promise<Result>; recorded: Promise<void> } {
  const config = isolation === 'process' ? ['--config', 'process.yaml'] : []
  const child = spawn(
    process.execPath,
    [BIN, 'pipeline', 'run', 'pipelines.ts', '--name', pipeline, ...config],
    {
      cwd: sandbox.project,
      env: { ...process.env, ...env(), STRATA_CONFIG_DIR: sandbox.configDir, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (chunk) => (stdout += chunk))
  child.stderr?.on('data', (chunk) => (stderr += chunk))
  const exit = new Promise<Result>((resolveExit) =>
    child.on('close', (code, signal) => {
      const result = { code: code ?? (signal ? 128 : -1), stdout, stderr }
      outputs.push(result)
      resolveExit(result)
    }),
  )
  // The run is recorded when the CLI names it.
  const recorded = new Promise<void>((resolveRecorded) => {
    const look = () => {
      if (/^run \S+: \d+ steps? on stack/m.test(stdout)) resolveRecorded()
    }
    child.stdout?.on('data', look)
    child.on('close', () => resolveRecorded())
  })
  return { child, exit, recorded }
}

type Isolation = 'in-process' | 'process'
const ISOLATIONS: Isolation[] = ['in-process', 'process']

const readMarks = () => readFileSync(marks, 'utf8').trim().split('\n').filter(Boolean)
/** The pids marked by the processes waiting at `gate`, in order. */
const pidsAt = (gate: string) =>
  readMarks()
    .filter((line) => line.startsWith(`${gate} `))
    .map((line) => Number(line.split(' ')[1]))

async function until(what: string, condition: () => boolean): Promise<void> {
  // No time limit of its own: the test's timeout is the hang guard.
  while (!condition()) await sleep(25)
  expect(condition(), what).toBe(true)
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH'
  }
}

function runName(output: string): string {
  const match = /^run (\S+): \d+ steps? on stack/m.exec(output)
  if (!match?.[1]) throw new Error(`no run name in: ${output}`)
  return match[1]
}

interface Described {
  name: string
  status: string
  error: string | null
  steps: Array<{ name: string; status: string; error: string | null; attempts?: number }>
}
async function describeRun(name: string): Promise<Described> {
  const described = await strata(['run', 'describe', name, '--output', 'json'])
  expect(described.code, described.stderr).toBe(0)
  return JSON.parse(described.stdout) as Described
}

async function runs(): Promise<Array<{ name: string; status: string }>> {
  const listed = await strata(['pipeline', 'runs', 'list', '--size', '1000', '--output', 'json'])
  expect(listed.code, listed.stderr).toBe(0)
  return (JSON.parse(listed.stdout) as { items: Array<{ name: string; status: string }> }).items
}

async function survived(fault: string, held: boolean): Promise<void> {
  const problems = await afterFault(sandbox, { outputs, canaries: [CANARY] })
  report.tried(fault, held && problems.length === 0)
  expect(problems).toEqual([])
  expect(held).toBe(true)
}

describe('a step process killed by a signal the run did not send', () => {
  it.each([
    ['SIGKILL', 'the step process died of SIGKILL, a signal the run did not send'],
    ['SIGSEGV', 'the step process died of SIGSEGV, a signal the run did not send'],
    // The step process sees this one and stops its step; the run did not ask it to.
    [
      'SIGTERM',
      'the step process stopped on a signal the run did not send (stopped: the step process received SIGTERM)',
    ],
  ] as const)(
    '%s: the attempt failed with the signal named; a step with retries runs again and completes',
    async (signal, died) => {
      reset()
      const run = start('deaths', 'process')
      await until(
        'both step processes',
        () => pidsAt('victim').length === 1 && pidsAt('fragile').length === 1,
      )
      const [victimPid, fragilePid] = [pidsAt('victim')[0] ?? 0, pidsAt('fragile')[0] ?? 0]
      expect(victimPid).not.toBe(run.child.pid)
      process.kill(victimPid, signal)
      process.kill(fragilePid, signal)
      // The retry is a new process; it finds its gate open.
      await until('the retry of victim', () => pidsAt('victim').length === 2)
      expect(pidsAt('victim')[1]).not.toBe(victimPid)
      open('victim')
      const ended = await run.exit
      expect(ended.code, ended.stdout + ended.stderr).toBe(1)
      expect(ended.stdout).toContain(`step victim: retrying`)
      expect(ended.stdout).toMatch(/^step victim: completed/m)
      expect(ended.stdout).toContain(`step fragile: failed — ${died}`)
      expect(ended.stdout + ended.stderr).not.toMatch(/stopped by the user|this is a bug in Strata/)

      const described = await describeRun(runName(ended.stdout))
      expect(described.status).toBe('failed')
      const steps = Object.fromEntries(described.steps.map((step) => [step.name, step]))
      expect(steps.victim?.status).toBe('completed')
      expect(steps.fragile).toMatchObject({ status: 'failed', error: expect.stringContaining(died) })
      const logs = await strata(['pipeline', 'runs', 'logs', described.name, '--step', 'victim'])
      expect(logs.stdout).toContain(died)
      await survived(`a step process killed by ${signal}, retried`, steps.victim?.status === 'completed')
      report.tried(`a step process killed by ${signal}, no retry left`, steps.fragile?.status === 'failed')
    },
    120_000,
  )
})

describe('the CLI killed at a random point of a run (SIGKILL, SIGSEGV)', () => {
  it.each(ISOLATIONS)(
    '%s: no run left running once its owner is gone, completed artifacts intact, resume finishes',
    async (isolation) => {
      // The span of a whole run on this machine now, from the moment it is recorded to the CLI's exit,
      // measured: the kill points are fractions of it (before it, the CLI has not written the store yet).
      reset()
      const measured = start('chain', isolation)
      await measured.recorded
      const began = Date.now()
      const whole = await measured.exit
      expect(whole.code, whole.stderr).toBe(0)
      const span = Date.now() - began
      // In-process, the step's death is the CLI's: SIGSEGV too.
      for (const signal of ['SIGKILL', 'SIGSEGV', 'SIGKILL'] as const) {
        reset()
        const before = new Set((await runs()).map((run) => run.name))
        const at = Math.round(span * (0.05 + 0.9 * next()))
        const run = start('chain', isolation)
        await run.recorded
        await sleep(at)
        run.child.kill(signal)
        await run.exit
        // Step processes outlive their client: they finish the step they were given.
        await until('every step process to end', () =>
          readMarks().every((line) => !alive(Number(line.split(' ')[1]))),
        )
        const fault = `${isolation}: the CLI killed with ${signal} ${at} ms after the run was recorded (its rest took ~${span} ms)`
        const made = (await runs()).filter((listed) => !before.has(listed.name))
        if (made.length === 0) {
          // Killed before the run was recorded: nothing to settle.
          process.stdout.write(`faults signals: ${fault}: before the run was recorded\n`)
          await survived(`${fault} (before the run was recorded)`, true)
          continue
        }
        expect(made).toHaveLength(1)
        const name = made[0]?.name ?? ''
        const synced = await strata(['pipeline', 'runs', 'sync', name])
        expect(synced.code, synced.stderr).toBe(0)
        const settled = await describeRun(name)
        expect(settled.status).not.toBe('running')
        const problems = await afterFault(sandbox, { outputs, canaries: [CANARY] })
        expect(problems).toEqual([])
        let finished = settled.status === 'completed'
        if (!finished) {
          const resumed = await strata(['pipeline', 'runs', 'resume', name])
          expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0)
          const done = await describeRun(name)
          expect(done.steps.map((step) => step.status)).toEqual(Array(4).fill('completed'))
          finished = done.status === 'completed'
        }
        const after = settled.status === 'completed' ? '' : ', resumed to completed'
        process.stdout.write(`faults signals: ${fault}: ${settled.status} after sync${after}\n`)
        await survived(fault, finished)
      }
    },
    180_000,
  )
})

describe('SIGTERM to the CLI', () => {
  it.each(ISOLATIONS)(
    '%s: the run is stopped as by Ctrl-C, exit 130, no step process left',
    async (isolation) => {
      reset()
      const run = start('holding', isolation)
      await until('the step', () => pidsAt('held').length === 1)
      const stepPid = pidsAt('held')[0] ?? 0
      run.child.kill('SIGTERM')
      const ended = await run.exit
      expect(ended.code, ended.stdout + ended.stderr).toBe(130)
      expect(ended.stdout).toMatch(/^step fragile: stopped/m)
      expect(alive(stepPid)).toBe(false)
      const described = await describeRun(runName(ended.stdout))
      expect(described.status).toBe('stopped')
      expect(described.steps).toMatchObject([{ name: 'fragile', status: 'stopped' }])
      await survived(`${isolation}: SIGTERM to the CLI`, described.status === 'stopped' && !alive(stepPid))
    },
    120_000,
  )
})

describe('runs delete of a running run', () => {
  it.each(ISOLATIONS)(
    '%s: refused with the fix; --force stops it and deletes it',
    async (isolation) => {
      reset()
      const run = start('holding', isolation)
      await until('the step', () => pidsAt('held').length === 1)
      const stepPid = pidsAt('held')[0] ?? 0
      const name = (await runs()).find((listed) => listed.status === 'running')?.name ?? ''
      expect(name).not.toBe('')

      const refused = await strata(['pipeline', 'runs', 'delete', name])
      expect(refused.code).toBe(1)
      expect(refused.stderr).toContain(`run ${name} is running`)
      expect(refused.stderr).toContain(`stop it first ('strata pipeline runs stop ${name}'), or pass --force`)
      expect(refused.stderr).not.toContain('bug in Strata')
      expect((await describeRun(name)).status).toBe('running')

      const forced = await strata(['pipeline', 'runs', 'delete', name, '--force'])
      expect(forced.code, forced.stderr).toBe(0)
      const ended = await run.exit
      expect(ended.stdout + ended.stderr).not.toMatch(/FOREIGN KEY|bug in Strata/)
      expect([130, 1]).toContain(ended.code)
      expect(alive(stepPid)).toBe(false)
      const gone = await strata(['run', 'describe', name])
      expect(gone.code).toBe(1)
      expect((await runs()).map((listed) => listed.name)).not.toContain(name)
      await survived(`${isolation}: runs delete of a running run, then --force`, refused.code === 1)
    },
    120_000,
  )
})

describe('concurrent writers', () => {
  it('eight runs at once on one store all complete', async () => {
    reset()
    const before = (await runs()).length
    const ended = await Promise.all(Array.from({ length: 8 }, () => start('chain', 'in-process').exit))
    for (const result of ended) expect(result.code, result.stdout + result.stderr).toBe(0)
    const names = ended.map((result) => runName(result.stdout))
    expect(new Set(names).size).toBe(8)
    const listed = await runs()
    expect(listed).toHaveLength(before + 8)
    for (const name of names) expect(listed.find((run) => run.name === name)?.status).toBe('completed')
    await survived(
      'eight concurrent runs on one store',
      ended.every((result) => result.code === 0),
    )
  }, 180_000)
})
