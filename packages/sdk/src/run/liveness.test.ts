import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { RunOwner, SqliteStore } from '@strata/store'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { Client } from '../client/client.js'
import { type TempEnvironment, tempEnvironment } from '../test-support/temp-environment.js'
import { currentOwner, ownerState } from './run-owner.js'

// The run happens in another process, built code, as `pnpm test` builds first.
const scriptDirectory = resolve(import.meta.dirname, '../../.tmp')
const script = join(scriptDirectory, `liveness-${process.pid}.mjs`)
let configDir: string

beforeAll(async () => {
  configDir = await mkdtemp(join(tmpdir(), 'strata-liveness-'))
  await mkdir(scriptDirectory, { recursive: true })
  await writeFile(
    script,
    `import { writeFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { input, openRunEnvironment, pipeline, step } from '@strata/sdk'
export const quick = step({ name: 'quick' }, async () => ({ rows: [1, 2, 3] }))
export const slow = step({ name: 'slow', inputs: { data: input() } }, async ({ data }) => {
  writeFileSync(process.env.MARKER, String(process.pid))
  await sleep(60_000)
  return data
})
export const victim = pipeline({ name: 'victim' }, () => { slow({ data: quick() }) })
const environment = await openRunEnvironment({ configDir: process.env.STRATA_CONFIG_DIR, projectRoot: ${JSON.stringify(scriptDirectory)} })
await victim.run({ environment, output: false })
`,
  )
})
afterAll(async () => {
  await rm(configDir, { recursive: true, force: true })
  await rm(script, { force: true })
})

describe('run liveness', () => {
  it('leaves a healthy run alone and fails a run whose process was killed, keeping the store sound', async () => {
    const marker = join(configDir, 'marker')
    const child = spawn(process.execPath, [script], {
      env: { ...process.env, STRATA_CONFIG_DIR: configDir, MARKER: marker },
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    for (let waited = 0; !existsSync(marker); waited += 50) {
      if (waited > 30_000 || child.exitCode !== null)
        throw new Error(`the run never reached its slow step: ${stderr}`)
      await sleep(50)
    }

    // Another terminal lists runs while the healthy run goes on: nothing changes.
    const client = await Client.open({ configDir })
    const during = (await client.listRuns()).items
    expect(during).toHaveLength(1)
    expect(during[0]).toMatchObject({ status: 'running', error: null })
    // A step's start is committed once it has run 50 ms (with its outcome when it ends sooner): wait for it,
    // within a bound no busy machine reaches.
    const steps = async () =>
      (await client.getRun(during[0]!.id)).steps.map((step) => [step.name, step.status])
    for (let waited = 0; (await steps()).length < 2 && waited < 30_000; waited += 20) await sleep(20)
    expect(await steps()).toEqual([
      ['quick', 'completed'],
      ['slow', 'running'],
    ])

    child.kill('SIGKILL')
    await new Promise((resolveExit) => child.once('exit', resolveExit))

    const after = await client.getRun(during[0]!.id)
    expect(after.status).toBe('failed')
    expect(after.error).toMatch(
      /^run abandoned: the process that ran it \(pid \d+ on .*\) is gone — resume it with 'strata pipeline runs resume /,
    )
    expect(after.steps.map((step) => [step.name, step.status])).toEqual([
      ['quick', 'completed'],
      ['slow', 'failed'],
    ])
    // Every version row has its bytes; the store file is sound.
    const store = (await client.environment()).artifactStore
    for (const summary of (await client.listArtifacts()).items) {
      for (const version of (await client.artifactVersions(summary.name)).items) {
        expect((await store.list(version.prefix)).entries.length).toBeGreaterThan(0)
      }
    }
    expect((client.repositories as SqliteStore).integrityCheck()).toBe('ok')
    await client.close()
  }, 60_000)
})

describe('who may mark a run failed', () => {
  let environment: TempEnvironment
  let client: Client
  beforeEach(async () => {
    environment = await tempEnvironment()
    client = new Client(environment)
  })
  afterEach(async () => {
    vi.useRealTimers()
    await environment.dispose()
  })
  /** Moves the clock (`Date` only) past a lease instead of waiting for it: no heartbeat comes meanwhile. */
  const later = (ms: number) => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + ms)
  }

  /** A run recorded as active with this owner and lease, as `pipeline.run()` records its own. */
  const activeRun = async (owner: RunOwner, leaseMs: number) => {
    const { runs } = environment.repositories
    const run = await runs.create({
      name: `owned-by-${owner.pid}-${Math.random().toString(36).slice(2, 8)}`,
      pipelineName: 'liveness',
      stackName: environment.stackName,
      artifactStoreUri: environment.artifactStore.uri,
      snapshot: {},
      parameters: {},
      owner,
      leaseMs,
    })
    await runs.setStatus(run.id, 'running')
    return run
  }
  const status = async (id: string) => {
    const run = (await client.listRuns()).items.find((candidate) => candidate.id === id)!
    return { status: run.status, error: run.error }
  }

  it('an owner on another host: not provably dead, so left alone until its lease expires', async () => {
    const owner = { host: 'another-host.invalid', pid: process.pid, startedAt: currentOwner().startedAt }
    expect(ownerState(owner)).toBe('unknown')
    const run = await activeRun(owner, 300)
    expect(await status(run.id)).toEqual({ status: 'running', error: null })
    later(1000)
    expect(await status(run.id)).toEqual({
      status: 'failed',
      error: expect.stringMatching(
        /^run abandoned: its owner stopped reporting \(no heartbeat for \d+ s, lease 0\.3 s\) — resume it with 'strata pipeline runs resume owned-by-/,
      ),
    })
  })

  it('a reused pid: a live process with that pid, started after the owner did, is not the owner', async () => {
    // This very process, recorded as if the owner had started an hour before it: the pid was reused.
    const owner = {
      host: hostname(),
      pid: process.pid,
      startedAt: new Date(Date.parse(currentOwner().startedAt) - 3_600_000).toISOString(),
    }
    expect(ownerState(owner)).toBe('gone')
    const run = await activeRun(owner, 60_000)
    expect(await status(run.id)).toEqual({
      status: 'failed',
      error: expect.stringMatching(
        new RegExp(`^run abandoned: the process that ran it \\(pid ${process.pid} on .+\\) is gone`),
      ),
    })
  })

  it('an owner this host proves alive keeps its run after its lease expired (a step blocking the event loop)', async () => {
    // A process that records itself as a run's owner, then blocks its event loop: no heartbeat can run.
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { currentOwner } from '@strata/sdk/internal'
process.stdout.write(JSON.stringify(currentOwner()) + '\\n')
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 30_000)`,
      ],
      { cwd: resolve(import.meta.dirname, '../..'), stdio: ['ignore', 'pipe', 'inherit'] },
    )
    try {
      const owner = await new Promise<RunOwner>((resolveOwner, reject) => {
        child.stdout.once('data', (chunk: Buffer) => resolveOwner(JSON.parse(chunk.toString()) as RunOwner))
        child.once('exit', (code) => reject(new Error(`the owner exited (${code}) before reporting`)))
      })
      expect(owner.pid).toBe(child.pid)
      expect(ownerState(owner)).toBe('alive')
      const run = await activeRun(owner, 100)
      later(60_000)
      // The lease expired long ago, but the owner is provably alive: nothing changes.
      expect(await status(run.id)).toEqual({ status: 'running', error: null })
      await expect(client.resumeRun(run.name)).rejects.toThrow(
        `run ${run.name} is still running (pid ${owner.pid} on ${owner.host}) — wait for it, or stop it first`,
      )

      child.kill('SIGKILL')
      await new Promise((resolveExit) => child.once('exit', resolveExit))
      expect(ownerState(owner)).toBe('gone')
      expect(await status(run.id)).toEqual({
        status: 'failed',
        error: expect.stringMatching(/^run abandoned: the process that ran it \(pid \d+ on .+\) is gone/),
      })
    } finally {
      child.kill('SIGKILL')
    }
  })
})
