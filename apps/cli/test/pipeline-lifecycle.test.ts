// Runs through the real binary, with a process per step where it matters: Ctrl-C, pipeline hooks across
// resume, syncing a journal after the client died, what a step process can reach, lists and their pages,
// and a snapshot from a newer Strata.
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BIN, createSandbox, link, ok, type Sandbox } from './helpers.js'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')

const PIPELINES = `
import { appendFileSync, existsSync, readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { Client, input, pipeline, step } from '@strata/sdk'
import { z } from 'zod'

const mark = (what: string) => appendFileSync(process.env.MARKS!, what + '\\n')

export const source = step({ name: 'source' }, async () => [1, 2, 3])
export const check = step({ name: 'check', inputs: { values: input<number[]>() } }, async ({ values }) => {
  if (process.env.BREAK_CHECK === '1') throw new Error('check is broken')
  return values.length
})
export const hooked = pipeline(
  {
    name: 'hooked',
    onSuccess: (context) => mark('success ' + context.runName),
    onFailure: (error, context) => mark('failure ' + context.runName + ': ' + error.message.split(' — ')[0]),
  },
  () => { check({ values: source() }) },
)

export const nap = step({ name: 'nap', outputs: [], params: z.object({ label: z.string() }) }, async (_inputs, ctx) => {
  mark('pid ' + ctx.params.label + ' ' + process.pid)
  await sleep(30_000, undefined, { signal: ctx.signal })
})
export const napping = pipeline({ name: 'napping', cache: false }, () => {
  nap({ id: 'nap_a', params: { label: 'a' } })
  nap({ id: 'nap_b', params: { label: 'b' } })
})

// Blocks its event loop: it cannot even see SIGTERM, so the orchestrator has to kill it.
export const stubborn = step({ name: 'stubborn', outputs: [] }, async () => {
  mark('pid stubborn ' + process.pid)
  const end = Date.now() + 30_000
  while (Date.now() < end) {}
})
export const blocking = pipeline({ name: 'blocking', cache: false }, () => { stubborn() })

export const first = step({ name: 'first' }, async () => 'ready')
export const waiter = step({ name: 'waiter', inputs: { signal: input<string>() } }, async ({ signal }, ctx) => {
  ctx.logMetadata({ waited: true })
  mark('waiting ' + process.pid)
  while (!existsSync(process.env.GO!)) await sleep(50)
  if (process.env.BREAK_WAITER === '1') throw new Error('the waiter gave up')
  return signal + ' and done'
})
export const handoff = pipeline({ name: 'handoff', cache: false }, () => { waiter({ signal: first() }) })

// A step process has only the artifact store: not the project's files, not the metadata store.
export const readSource = step({ name: 'read_source' }, async () => readFileSync('data/notes.txt', 'utf8'))
export const readStore = step({ name: 'read_store' }, async (_inputs, ctx) => {
  const client = await Client.open()
  try {
    return (await client.getRun(ctx.runId)).name
  } finally {
    await client.close()
  }
})
export const reaching = pipeline({ name: 'reaching', cache: false }, () => {
  readSource()
  readStore()
})
`

let sandbox: Sandbox
let marks: string

beforeAll(() => {
  sandbox = createSandbox()
  link(join(repo, 'packages/sdk'), join(sandbox.project, 'node_modules/@strata/sdk'))
  writeFileSync(join(sandbox.project, 'pipelines.ts'), PIPELINES)
  mkdirSync(join(sandbox.project, 'data'))
  writeFileSync(join(sandbox.project, 'data/notes.txt'), 'notes from the source tree')
  writeFileSync(
    join(sandbox.project, 'process.yaml'),
    'settings: { orchestrator.local: { isolation: process } }\n',
  )
  marks = join(sandbox.project, 'marks.log')
})
afterAll(() => sandbox?.cleanup())

const env = () => ({ MARKS: marks, GO: join(sandbox.project, 'go') })
const readMarks = () => (existsSync(marks) ? readFileSync(marks, 'utf8').trim().split('\n') : [])

function runName(output: string): string {
  const match = /^run (\S+): \d+ steps? on stack/m.exec(output)
  if (!match) throw new Error(`no run name in: ${output}`)
  return match[1]!
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH'
  }
}

async function until(what: string, condition: () => boolean, timeout = 30_000): Promise<void> {
  for (let waited = 0; !condition(); waited += 50) {
    if (waited > timeout) throw new Error(`timed out waiting for ${what}`)
    await sleep(50)
  }
}

/** Starts the built CLI without waiting; `output` collects stdout and stderr. */
function start(args: string[], options: { detached?: boolean; env?: NodeJS.ProcessEnv } = {}) {
  const child: ChildProcess = spawn(process.execPath, [BIN, ...args], {
    cwd: sandbox.project,
    env: {
      ...process.env,
      ...env(),
      ...options.env,
      STRATA_CONFIG_DIR: sandbox.configDir,
      NO_COLOR: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached === true,
  })
  const state = { output: '' }
  child.stdout!.on('data', (chunk) => (state.output += chunk))
  child.stderr!.on('data', (chunk) => (state.output += chunk))
  const exit = new Promise<number | null>((resolveExit) => child.on('close', (code) => resolveExit(code)))
  return { child, state, exit }
}

/** Starts a run of `pipeline` with a process per step, after clearing the marks its steps leave. */
function startIsolated(pipeline: string, options: { detached?: boolean; env?: NodeJS.ProcessEnv } = {}) {
  writeFileSync(marks, '')
  return start(['pipeline', 'run', 'pipelines.ts', '--name', pipeline, '--config', 'process.yaml'], options)
}

async function describeRun(name: string) {
  return JSON.parse((await ok(sandbox, ['run', 'describe', name, '--output', 'json'])).stdout) as {
    status: string
    error: string | null
    endedAt: string | null
    steps: Array<{
      name: string
      status: string
      error: string | null
      endedAt: string | null
      outputs: Record<string, string>
    }>
  }
}

describe('Ctrl-C with a process per step', () => {
  it.each([
    ['SIGINT to the run process only', false],
    ["SIGINT to the terminal's whole process group", true],
  ])(
    '%s: exit 130, nothing left running, no step process alive',
    async (_label, group) => {
      const { child, state, exit } = startIsolated('napping', { detached: group })
      await until(
        'both step processes',
        () => readMarks().filter((line) => line.startsWith('pid ')).length === 2,
      )
      const pids = readMarks().map((line) => Number(line.split(' ')[2]))
      expect(pids.every((pid) => pid !== child.pid && alive(pid))).toBe(true)

      if (group) process.kill(-child.pid!, 'SIGINT')
      else child.kill('SIGINT')
      expect(await exit).toBe(130)
      expect(pids.filter(alive)).toEqual([])
      expect(state.output).toMatch(/^step nap_a: stopped/m)
      expect(state.output).toMatch(/^step nap_b: stopped/m)

      const run = await describeRun(runName(state.output))
      expect(run.status).toBe('stopped')
      // Each step process stopped its step through the signal and journaled that before exiting.
      expect(run.steps.map((step) => [step.name, step.status, step.error]).sort()).toEqual([
        ['nap_a', 'stopped', expect.stringMatching(/^stopped: the step process received SIG(INT|TERM)$/)],
        ['nap_b', 'stopped', expect.stringMatching(/^stopped: the step process received SIG(INT|TERM)$/)],
      ])
      const running = JSON.parse(
        (await ok(sandbox, ['run', 'list', '--status', 'running', '--output', 'json'])).stdout,
      )
      expect(running.items).toEqual([])
    },
    60_000,
  )

  it('kills a step process that cannot stop (its event loop is blocked) after a grace period', async () => {
    const { child, state, exit } = startIsolated('blocking')
    await until('the blocking step', () => readMarks().some((line) => line.startsWith('pid stubborn ')))
    const pid = Number(readMarks()[0]!.split(' ')[2])
    const interrupted = Date.now()
    child.kill('SIGINT')
    expect(await exit).toBe(130)
    // The subject is a timeout: the local orchestrator's 5 s grace period before SIGKILL. At least the grace
    // period (less timer slack), at most four times it.
    const grace = 5_000
    const waited = Date.now() - interrupted
    expect(waited).toBeGreaterThanOrEqual(grace - 500)
    expect(waited).toBeLessThan(grace * 4)
    expect(alive(pid)).toBe(false)
    const run = await describeRun(runName(state.output))
    expect(run.status).toBe('stopped')
    expect(run.steps).toMatchObject([
      {
        name: 'stubborn',
        status: 'stopped',
        // The SIGKILL is the run's own (after the grace period), so the step is stopped, not failed.
        error: 'stopped: the step process ended on SIGKILL after the run stopped it',
      },
    ])
  }, 60_000)
})

describe('pipeline hooks', () => {
  it('run exactly once per outcome, also across resume', async () => {
    writeFileSync(marks, '')
    const failed = await sandbox.strata(['pipeline', 'run', 'pipelines.ts', '--name', 'hooked'], {
      env: { ...env(), BREAK_CHECK: '1' },
    })
    expect(failed.code).toBe(1)
    const name = runName(failed.stdout)
    expect(readMarks()).toEqual([`failure ${name}: step check failed`])

    const resumed = await ok(sandbox, ['pipeline', 'runs', 'resume', name], { env: env() })
    expect(resumed.stdout).toMatch(/^step check: completed$/m)
    expect(readMarks()).toEqual([`failure ${name}: step check failed`, `success ${name}`])

    // Nothing left to resume: refused, and no hook runs.
    const again = await sandbox.strata(['pipeline', 'runs', 'resume', name], { env: env() })
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('there is nothing to resume')
    // A fully cached run is a success too: its hook runs once.
    const cached = await ok(sandbox, ['pipeline', 'run', 'pipelines.ts', '--name', 'hooked'], { env: env() })
    expect(cached.stdout).toContain('all 2 steps cached')
    expect(readMarks()).toEqual([
      `failure ${name}: step check failed`,
      `success ${name}`,
      `success ${runName(cached.stdout)}`,
    ])
  }, 60_000)
})

describe('strata pipeline runs sync', () => {
  /**
   * Starts `handoff` with a process per step and kills its client while `waiter` waits; then lets the step
   * process finish, or (`killStep`) kills it too before it can journal an outcome.
   */
  async function orphanWaiter(env: NodeJS.ProcessEnv = {}, killStep = false): Promise<string> {
    rmSync(join(sandbox.project, 'go'), { force: true })
    const { child, state, exit } = startIsolated('handoff', { env })
    await until('the waiting step', () => readMarks().some((line) => line.startsWith('waiting ')))
    const stepPid = Number(
      readMarks()
        .find((line) => line.startsWith('waiting '))!
        .split(' ')[1],
    )
    const name = runName(state.output)
    child.kill('SIGKILL')
    await exit
    if (killStep) process.kill(stepPid, 'SIGKILL')
    // The orphaned step process finishes on its own and journals its outcome into the artifact store.
    else writeFileSync(join(sandbox.project, 'go'), '')
    await until('the step process to finish', () => !alive(stepPid))
    return name
  }

  it('ingests what a step process journaled after its client was killed, completing the run; syncing twice changes nothing', async () => {
    const name = await orphanWaiter()
    // Its client is gone: the run is failed, and the store has not heard of the step's outcome.
    const before = await describeRun(name)
    expect(before.status).toBe('failed')
    expect(before.error).toMatch(/^run abandoned: the process that ran it \(pid \d+ on .*\) is gone/)
    expect(before.steps.find((step) => step.name === 'waiter')).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/^run abandoned: the process that ran it/),
      outputs: {},
    })

    const synced = await ok(sandbox, ['pipeline', 'runs', 'sync', name])
    const events = /Ingested (\d+) events/.exec(synced.stderr)?.[1]
    expect(Number(events)).toBeGreaterThan(0)
    expect(synced.stderr).toContain(`Ingested ${events} events of run ${name}; it is completed.`)
    expect(synced.stderr).not.toContain('resume')
    // Every step ended completed: so did the run, when its last step did.
    const after = await describeRun(name)
    const waiter = after.steps.find((step) => step.name === 'waiter')!
    expect(waiter.status).toBe('completed')
    expect(Object.keys(waiter.outputs)).toEqual(['output'])
    expect(after.status).toBe('completed')
    expect(after.error).toBeNull()
    expect(after.endedAt).toBe(waiter.endedAt)
    const described = (await ok(sandbox, ['run', 'describe', name])).stdout
    expect(described).toMatch(/^Status\s+completed$/m)
    expect(described).not.toMatch(/^Error\s/m)
    expect(described).toContain('waiter  waited: true')
    const listed = JSON.parse(
      (await ok(sandbox, ['run', 'list', '--pipeline', 'handoff', '--output', 'json'])).stdout,
    ) as { items: Array<{ name: string; status: string }> }
    expect(listed.items.find((run) => run.name === name)?.status).toBe('completed')
    const rows = sandbox.dump()

    const again = await ok(sandbox, ['pipeline', 'runs', 'sync', name])
    expect(again.stderr).toContain(`Ingested ${events} events of run ${name}; it is completed.`)
    expect(sandbox.dump()).toEqual(rows)

    // Nothing is left to resume.
    const resumed = await sandbox.strata(['pipeline', 'runs', 'resume', name])
    expect(resumed.code).toBe(1)
    expect(resumed.stderr).toContain(`run ${name} completed — there is nothing to resume`)
    expect(sandbox.dump()).toEqual(rows)
  }, 60_000)

  it('keeps a run failed, naming the step, when the journal says that step failed; resume then finishes it', async () => {
    const name = await orphanWaiter({ BREAK_WAITER: '1' })
    const synced = await ok(sandbox, ['pipeline', 'runs', 'sync', name])
    const error = `step waiter failed — see 'strata pipeline runs logs ${name} --step waiter', fix it, then 'strata pipeline runs resume ${name}'`
    expect(synced.stderr).toContain(`of run ${name}; it is failed.`)
    expect(synced.stderr).toContain(error)
    const after = await describeRun(name)
    expect(after.status).toBe('failed')
    expect(after.error).toBe(error)
    expect(after.steps.map((step) => [step.name, step.status, step.error])).toEqual([
      ['first', 'completed', null],
      ['waiter', 'failed', 'the waiter gave up'],
    ])
    const rows = sandbox.dump()
    await ok(sandbox, ['pipeline', 'runs', 'sync', name])
    expect(sandbox.dump()).toEqual(rows)

    // Fixed (the variable is gone): resume runs the failed step only.
    const resumed = await ok(sandbox, ['pipeline', 'runs', 'resume', name], { env: env() })
    expect(resumed.stdout).toContain(`resuming run ${name}: 1 of 2 steps already done`)
    expect(resumed.stdout).toMatch(/^step waiter: completed$/m)
    expect((await describeRun(name)).status).toBe('completed')
  }, 60_000)

  it('keeps a step whose process died before journaling an outcome failed (not running), and the run failed with why', async () => {
    const name = await orphanWaiter({}, true)
    const synced = await ok(sandbox, ['pipeline', 'runs', 'sync', name])
    expect(synced.stderr).toContain(`of run ${name}; it is failed.`)
    expect(synced.stderr).toMatch(/^run abandoned: the process that ran it \(pid \d+ on .*\) is gone/m)
    const after = await describeRun(name)
    expect(after.status).toBe('failed')
    expect(after.error).toMatch(/^run abandoned: the process that ran it/)
    expect(after.steps.map((step) => [step.name, step.status, step.error])).toEqual([
      ['first', 'completed', null],
      ['waiter', 'failed', after.error],
    ])
    const rows = sandbox.dump()
    await ok(sandbox, ['pipeline', 'runs', 'sync', name])
    expect(sandbox.dump()).toEqual(rows)
  }, 60_000)
})

describe('what a step can reach', () => {
  it('in-process: the source tree and the store; in a step process: neither', async () => {
    const inProcess = await ok(sandbox, ['pipeline', 'run', 'pipelines.ts', '--name', 'reaching'])
    expect(inProcess.stdout).toMatch(/^step read_source: completed$/m)
    expect(inProcess.stdout).toMatch(/^step read_store: completed$/m)

    const isolated = await sandbox.strata([
      'pipeline',
      'run',
      'pipelines.ts',
      '--name',
      'reaching',
      '--config',
      'process.yaml',
    ])
    expect(isolated.code).toBe(1)
    expect(isolated.stdout).toMatch(
      /^step read_source: failed — ENOENT: no such file or directory, open 'data\/notes\.txt'$/m,
    )
    expect(isolated.stdout).toMatch(
      /^step read_store: failed — no pipeline run '[0-9a-f-]+' — list runs with 'strata pipeline runs list'$/m,
    )
  }, 60_000)
})

describe('lists', () => {
  it('page, filter and sort pipelines; page artifacts; filter runs by status', async () => {
    const all = (
      JSON.parse((await ok(sandbox, ['pipeline', 'list', '--output', 'json'])).stdout) as {
        items: Array<{ name: string; runs: number }>
      }
    ).items
    expect(all.map((row) => row.name)).toEqual(['blocking', 'handoff', 'hooked', 'napping', 'reaching'])

    const byRuns = await ok(sandbox, ['pipeline', 'list', '--sort', '-runs', '--size', '2'])
    const expected = [...all].sort((a, b) => b.runs - a.runs || a.name.localeCompare(b.name))
    expect(
      byRuns.stdout
        .trim()
        .split('\n')
        .slice(1)
        .map((line) => line.split(/\s+/)[0]),
    ).toEqual(expected.slice(0, 2).map((row) => row.name))
    expect(byRuns.stderr).toContain('Page 1 of 3 (5 pipelines); use --page and --size to see more.')
    const second = await ok(sandbox, ['pipeline', 'list', '--sort', '-runs', '--size', '2', '--page', '2'])
    expect(second.stderr).toContain('Page 2 of 3 (5 pipelines)')
    expect(second.stdout).toMatch(new RegExp(`^${expected[2]!.name}\\s`, 'm'))
    const filtered = JSON.parse(
      (await ok(sandbox, ['pipeline', 'list', '--name', 'ING', '--output', 'json'])).stdout,
    ) as { items: Array<{ name: string }> }
    expect(filtered.items.map((row) => row.name)).toEqual(['blocking', 'napping', 'reaching'])
    const badSort = await sandbox.strata(['pipeline', 'list', '--sort', 'colour'])
    expect(badSort.code).toBe(1)
    expect(badSort.stderr).toBe(
      "Error: cannot sort pipelines by 'colour' — use one of name, runs, last_run, created, optionally as -FIELD or desc:FIELD\n",
    )

    const artifacts = await ok(sandbox, ['artifact', 'list', '--size', '1'])
    expect(artifacts.stdout.trim().split('\n')).toHaveLength(2)
    expect(artifacts.stderr).toMatch(
      /^Page 1 of (\d+) \(\1 artifacts\); use --page and --size to see more\.$/m,
    )

    const runs = (
      JSON.parse((await ok(sandbox, ['run', 'list', '--size', '100', '--output', 'json'])).stdout) as {
        items: Array<{ status: string }>
      }
    ).items
    for (const status of ['completed', 'failed', 'stopped']) {
      const filtered = (
        JSON.parse(
          (await ok(sandbox, ['run', 'list', '--status', status, '--size', '100', '--output', 'json']))
            .stdout,
        ) as { items: Array<{ status: string }> }
      ).items
      expect(filtered.length).toBeGreaterThan(0)
      expect(filtered.length).toBe(runs.filter((run) => run.status === status).length)
      expect(new Set(filtered.map((run) => run.status))).toEqual(new Set([status]))
    }
  })

  it('print {items, pagination} as JSON and YAML, like every other list', async () => {
    const { parse } = await import('yaml')
    const artifact = (
      JSON.parse((await ok(sandbox, ['artifact', 'list', '--output', 'json'])).stdout) as {
        items: Array<{ name: string; versions: number }>
      }
    ).items.find((row) => row.versions > 1)!
    const lists = [
      ['pipeline', 'list'],
      ['pipeline', 'runs', 'list'],
      ['run', 'list', '--pipeline', 'napping'],
      ['artifact', 'list'],
      ['artifact', 'versions', artifact.name],
    ]
    for (const list of lists) {
      const whole = JSON.parse((await ok(sandbox, [...list, '--output', 'json'])).stdout) as {
        items: unknown[]
        pagination: { total: number }
      }
      const total = whole.pagination.total
      expect(total, list.join(' ')).toBeGreaterThan(1)
      expect(whole.items, list.join(' ')).toHaveLength(Math.min(total, 20))
      for (const format of ['json', 'yaml']) {
        const args = [...list, '--size', '1', '--page', '2', '--output', format]
        const text = (await ok(sandbox, args)).stdout
        const page = format === 'json' ? JSON.parse(text) : parse(text)
        expect(Object.keys(page), args.join(' ')).toEqual(['items', 'pagination'])
        expect(page.items, args.join(' ')).toEqual([whole.items[1]])
        expect(page.pagination, args.join(' ')).toEqual({ page: 2, size: 1, totalPages: total, total })
      }
    }
    const badSize = await sandbox.strata(['run', 'list', '--size', '0', '--output', 'json'])
    expect(badSize.code).toBe(2)
    expect(badSize.stderr).toBe("Error: --size must be at least 1 — see 'strata pipeline runs list --help'\n")
  })
})

describe('a snapshot from a newer Strata', () => {
  it("is refused by 'strata step run' with both versions and the fix", async () => {
    const storePath = join(sandbox.project, 'newer-store')
    const runId = '00000000-0000-4000-8000-000000000099'
    mkdirSync(join(storePath, 'runs', runId), { recursive: true })
    writeFileSync(
      join(storePath, 'runs', runId, 'snapshot.json'),
      JSON.stringify({ schemaVersion: 99, runId, runName: 'from-the-future', steps: [] }),
    )
    const component = {
      type: 'artifact_store',
      name: 'newer',
      id: 'newer',
      flavor: 'local',
      entry: pathToFileURL(join(repo, 'plugins/local/dist/index.js')).href,
      config: { path: storePath },
      dataDir: storePath,
    }
    const result = await sandbox.strata(
      ['step', 'run', '--run', `file://${storePath}/runs/${runId}`, '--step', 'train'],
      { env: { STRATA_STEP_ARTIFACT_STORE: JSON.stringify(component), STRATA_STEP_PROCESS: '1' } },
    )
    expect(result.code).toBe(1)
    expect(result.stderr).toBe(
      `Error: step 'train' of run ${runId}: the run's snapshot has schema version 99, but this Strata understands up to version 1 — upgrade @strata/sdk and @strata/cli (in the project and in the step image) to the version that started the run\n`,
    )
  })
})
