// Class 5 of the fault suite: nothing is leaked on disk. Through the real binary: a writer killed with
// SIGKILL in the middle of a big artifact (the CLI itself for an in-process step, the step process for a
// process step) leaves a temporary file that `strata artifact prune` reclaims — but never one that a live
// writer is still filling; a CLI killed while its step process runs leaves a `strata-step-*` folder that
// `runs sync` removes once that process is gone (not before), and the next run removes one whose processes
// all died. After each fault: the store is whole, no run is left running without its owner, no other
// artifact lost or changed, no canary printed.
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { BIN, createSandbox, link, ok, type Result, type Sandbox } from '../helpers.js'
import { afterFault } from './after-fault.js'
import { faultReport } from './fault-report.js'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..')
const report = faultReport('disk-leaks')
const CANARY = 'canary-disk-leaks-2c8e4b'

const PIPELINES = `
import { appendFileSync, existsSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { defineMaterializer, pipeline, step } from '@strata/sdk'
import { z } from 'zod'

const mark = (what: string) => appendFileSync(process.env.MARKS!, what + '\\n')

// Streams 1 MiB chunks: 32 at once, then one every 20 ms until the test says stop.
const slowBytes = defineMaterializer<{ label: string }>({
  id: 'test.slow-bytes',
  version: 1,
  canSave: (value) => typeof value === 'object' && value !== null && 'label' in value,
  dataType: () => 'slow-bytes',
  save: async (value, target) => {
    async function* chunks() {
      for (let index = 0; ; index++) {
        if (index === 32) mark('writing ' + value.label + ' ' + process.pid)
        if (index >= 32 && existsSync(process.env.STOP + '-' + value.label)) return
        yield Buffer.alloc(1024 * 1024, index)
        if (index >= 32) await sleep(20)
      }
    }
    await target.write('data.bin', chunks())
  },
  load: async () => ({ label: 'loaded' }),
})

export const big = step(
  { name: 'big', params: z.object({ label: z.string() }), materializers: [slowBytes], secrets: ['fault_canary'] },
  async (_inputs, ctx) => {
    console.log('writing a big artifact with', process.env.FAULT_TOKEN)
    return { label: ctx.params.label }
  },
)
export const writing = pipeline({ name: 'writing', cache: false, params: z.object({ label: z.string() }) }, ({ label }) => {
  big({ params: { label } })
})

export const waiter = step({ name: 'waiter', outputs: [] }, async () => {
  mark('step ' + process.pid)
  while (!existsSync(process.env.GO!)) await sleep(50)
})
export const waiting = pipeline({ name: 'waiting', cache: false }, () => {
  waiter()
})
`

let sandbox: Sandbox
let marks: string
/** The CLI's temporary directory (TMPDIR), where step folders go. */
let temp: string
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
  temp = join(sandbox.project, 'tmp')
  mkdirSync(temp)
  await ok(sandbox, ['secret', 'create', 'fault_canary', `--token=${CANARY}`])
}, 60_000)
afterAll(() => sandbox?.cleanup())
beforeEach(() => writeFileSync(marks, ''))

const env = (): NodeJS.ProcessEnv => ({
  MARKS: marks,
  STOP: join(sandbox.project, 'stop'),
  GO: join(sandbox.project, 'go'),
  TMPDIR: temp,
  FAULT_TOKEN: CANARY,
})

async function strata(args: string[]): Promise<Result> {
  const result = await sandbox.strata(args, { env: env() })
  outputs.push(result)
  return result
}

/** Starts the built CLI without waiting for it. */
function start(args: string[]): { child: ChildProcess; exit: Promise<Result> } {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: sandbox.project,
    env: { ...process.env, ...env(), STRATA_CONFIG_DIR: sandbox.configDir, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (chunk) => (stdout += chunk))
  child.stderr?.on('data', (chunk) => (stderr += chunk))
  const exit = new Promise<Result>((resolveExit) =>
    child.on('close', (code) => {
      const result = { code: code ?? -1, stdout, stderr }
      outputs.push(result)
      resolveExit(result)
    }),
  )
  return { child, exit }
}

const readMarks = () => readFileSync(marks, 'utf8').trim().split('\n').filter(Boolean)

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

/** Temporary files of the sandbox's local artifact stores, with their sizes. */
function temporaryFiles(): Array<{ path: string; size: number }> {
  const stores = join(sandbox.configDir, 'local_stores')
  if (!existsSync(stores)) return []
  return readdirSync(stores, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.startsWith('.strata-tmp-'))
    .map((entry) => join(entry.parentPath, entry.name))
    .map((path) => ({ path, size: statSync(path).size }))
}

const stepFolders = () => readdirSync(temp).filter((name) => name.startsWith('strata-step-'))

async function survived(fault: string, held: boolean): Promise<void> {
  const problems = await afterFault(sandbox, { outputs, canaries: [CANARY] })
  report.tried(fault, held && problems.length === 0)
  expect(problems).toEqual([])
  expect(held).toBe(true)
}

describe('a writer killed in the middle of a big artifact', () => {
  it.each([
    ['in-process: the CLI', false],
    ['a process per step: the step process', true],
  ])(
    '%s killed with SIGKILL: prune reclaims its temporary file, and keeps the one a live writer fills',
    async (label, isolated) => {
      const killedLabel = `killed-${isolated}`
      const liveLabel = `live-${isolated}`
      const run = (name: string) => {
        const settings = isolated ? 'settings: { orchestrator.local: { isolation: process } }\n' : ''
        writeFileSync(join(sandbox.project, `${name}.yaml`), `parameters: { label: ${name} }\n${settings}`)
        return start(['pipeline', 'run', 'pipelines.ts', '--name', 'writing', '--config', `${name}.yaml`])
      }
      const killed = run(killedLabel)
      await until('the writer to be midway', () =>
        readMarks().some((line) => line.startsWith(`writing ${killedLabel} `)),
      )
      const writerPid = Number(
        readMarks()
          .find((line) => line.startsWith(`writing ${killedLabel} `))
          ?.split(' ')[2],
      )
      // The mark says 32 MiB were handed to the store; on a busy machine they reach the file later.
      const big = (file: { size: number }) => file.size >= 32 * 1024 * 1024
      await until('the killed writer to have 32 MiB on disk', () => temporaryFiles().some(big))
      process.kill(writerPid, 'SIGKILL')
      await until('the writer to be gone', () => !alive(writerPid))
      if (!isolated) await killed.exit
      // A second run is still writing while prune looks.
      const live = run(liveLabel)
      await until('the live writer to be midway', () =>
        readMarks().some((line) => line.startsWith(`writing ${liveLabel} `)),
      )
      await until('the live writer to have 32 MiB on disk', () => temporaryFiles().filter(big).length === 2)
      const left = temporaryFiles()
      expect(left).toHaveLength(2)

      const dry = await strata(['artifact', 'prune'])
      expect(dry.code, dry.stderr).toBe(0)
      const listed = dry.stdout.split('\n').filter((line) => line.startsWith('temp '))
      expect(listed).toHaveLength(1)
      expect(listed[0]).toMatch(
        /^temp {5}artifacts\/writing__big__output\/[^/]+\/\.strata-tmp-\S+ {2}\d+\.\d MiB {2}\(its writer is gone\)$/,
      )
      expect(dry.stderr).toMatch(/\.strata-tmp-\S+ kept: the process writing it is alive/)
      expect(temporaryFiles()).toHaveLength(2)

      const pruned = await strata(['artifact', 'prune', '--yes'])
      expect(pruned.code, pruned.stderr).toBe(0)
      expect(pruned.stderr).toMatch(/and 1 temporary files\./)
      const remaining = temporaryFiles()
      expect(remaining).toHaveLength(1)
      // The live writer's file is still growing, and its run completes.
      writeFileSync(`${join(sandbox.project, 'stop')}-${liveLabel}`, '')
      const finished = await live.exit
      expect(finished.code, finished.stderr).toBe(0)
      expect(temporaryFiles()).toEqual([])
      if (isolated) expect((await killed.exit).code).toBe(1)
      // The killed write's version folder went with its file.
      const reclaimedKey = /^temp +(\S+)/.exec(listed[0] ?? '')?.[1] ?? ''
      const reclaimed = left.find((file) => file.path.endsWith(reclaimedKey))
      expect(reclaimed).toBeDefined()
      expect(existsSync(dirname(reclaimed?.path ?? ''))).toBe(false)
      await survived(
        `${label} killed mid-write, prune`,
        listed.length === 1 && remaining.length === 1 && finished.code === 0,
      )
    },
    120_000,
  )
})

describe('step folders of a killed CLI', () => {
  it('runs sync removes the folder once its step process is gone, and not before', async () => {
    // The marks file is the suite's: this run's step process is the one that marks after it starts.
    const stepMarks = () => readMarks().filter((line) => line.startsWith('step '))
    const before = stepMarks().length
    const cli = start(['pipeline', 'run', 'pipelines.ts', '--name', 'waiting', '--config', 'process.yaml'])
    await until('the step process', () => stepMarks().length > before)
    const stepPid = Number(stepMarks()[before]?.split(' ')[1])
    expect(stepFolders()).toEqual([expect.stringMatching(new RegExp(`^strata-step-${cli.child.pid}-`))])
    cli.child.kill('SIGKILL')
    const { stdout } = await cli.exit
    const name = /^run (\S+):/m.exec(stdout)?.[1] ?? ''

    // The step process outlives its client and still works in its folder.
    const early = await strata(['pipeline', 'runs', 'sync', name])
    expect(early.code, early.stderr).toBe(0)
    expect(alive(stepPid)).toBe(true)
    expect(stepFolders()).toHaveLength(1)

    writeFileSync(join(sandbox.project, 'go'), '')
    await until('the step process to finish', () => !alive(stepPid))
    const synced = await strata(['pipeline', 'runs', 'sync', name])
    expect(synced.code, synced.stderr).toBe(0)
    expect(stepFolders()).toEqual([])
    const described = JSON.parse((await ok(sandbox, ['run', 'describe', name, '--output', 'json'])).stdout)
    expect(described.status).toBe('completed')
    await survived('CLI killed with a live step process, runs sync', stepFolders().length === 0)
  }, 120_000)

  it('the next run removes the folder of a run whose processes all died', async () => {
    // The test before leaves 'go' behind: without removing it, this step would finish before it is killed.
    rmSync(join(sandbox.project, 'go'), { force: true })
    // The marks file is the suite's: this run's step process is the one that marks after it starts.
    const stepMarks = () => readMarks().filter((line) => line.startsWith('step '))
    const before = stepMarks().length
    const cli = start(['pipeline', 'run', 'pipelines.ts', '--name', 'waiting', '--config', 'process.yaml'])
    await until('the step process', () => stepMarks().length > before)
    const stepPid = Number(stepMarks()[before]?.split(' ')[1])
    cli.child.kill('SIGKILL')
    process.kill(stepPid, 'SIGKILL')
    await cli.exit
    await until('the step process to be gone', () => !alive(stepPid))
    expect(stepFolders()).toHaveLength(1)

    writeFileSync(join(sandbox.project, 'go'), '')
    const next = await strata([
      'pipeline',
      'run',
      'pipelines.ts',
      '--name',
      'waiting',
      '--config',
      'process.yaml',
    ])
    expect(next.code, next.stderr).toBe(0)
    expect(stepFolders()).toEqual([])
    await survived('CLI and step process killed, next run', next.code === 0 && stepFolders().length === 0)
  }, 120_000)
})
