import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Client, type Pipeline, type RunEnvironment } from '@strata/sdk'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { diamond, failing, fanOut, long, retrying } from './orchestrator-fixtures.js'

export interface OrchestratorSuiteOptions {
  /** Shown in the suite's title. */
  name: string
  /** A fresh run environment (store + a stack whose orchestrator is under test), and how to dispose of it. */
  environment(): Promise<{ environment: RunEnvironment; dispose(): Promise<void> }>
  /** Settings for every run, e.g. `{ 'orchestrator.local': { isolation: 'process' } }`. */
  settings?: Record<string, Record<string, unknown>>
  /** Per-test timeout in milliseconds. @default 60000 */
  timeout?: number
}

interface Event {
  label: string
  event: string
  pid: number
}

/**
 * The orchestrator conformance suite: every orchestrator flavor runs it. It drives real pipelines through
 * the SDK's runtime and checks what the steps observed, in the order they observed it (never how long
 * anything took, which depends on the machine): overlap of independent steps, each failure mode's exact
 * sets of failed, skipped and not-started steps, retry counts and planned delays, hooks that run once,
 * cached steps that never execute, and an interrupted run that leaves nothing running.
 */
export function orchestratorConformance(options: OrchestratorSuiteOptions): void {
  const timeout = options.timeout ?? 60_000
  describe(`Orchestrator conformance: ${options.name}`, { timeout }, () => {
    let directory: string
    let opened: { environment: RunEnvironment; dispose(): Promise<void> }
    beforeEach(async () => {
      directory = await mkdtemp(join(tmpdir(), 'strata-orchestrator-conformance-'))
      process.env.STRATA_CONFORMANCE_DIR = directory
      opened = await options.environment()
    }, timeout)
    afterEach(async () => {
      delete process.env.STRATA_CONFORMANCE_DIR
      await opened?.dispose()
      await rm(directory, { recursive: true, force: true })
    }, timeout)

    // biome-ignore lint/suspicious/noExplicitAny: any of the fixture pipelines, whatever its parameters
    const run = <P extends Pipeline<any>>(pipeline: P, extra: NonNullable<Parameters<P['run']>[0]> = {}) =>
      pipeline.run({
        environment: opened.environment,
        output: false,
        ...(options.settings ? { settings: options.settings } : {}),
        ...extra,
      })

    const events = async (): Promise<Event[]> => {
      const text = await readFile(join(directory, 'events.log'), 'utf8').catch(() => '')
      return text
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const parts = line.split(' ')
          return { label: parts[0] ?? '', event: parts.slice(1, -1).join(' '), pid: Number(parts.at(-1)) }
        })
    }
    // A step's start and end as positions in the log: comparing them says what happened before what.
    const window = (all: Event[], label: string): [number, number] => {
      const start = all.findIndex((event) => event.label === label && event.event.startsWith('start'))
      const end = all.findIndex((event) => event.label === label && event.event === 'end')
      if (start < 0 || end < 0) throw new Error(`step ${label} did not start and end: ${JSON.stringify(all)}`)
      return [start, end]
    }

    it('runs a diamond in dependency order with its branches overlapping', async () => {
      // b and c each wait for the other to start before they end: run one after the other, they would fail.
      const result = await run(diamond)
      expect(result.steps).toEqual({ a: 'completed', b: 'completed', c: 'completed', d: 'completed' })
      const all = await events()
      const [, aEnd] = window(all, 'a')
      const [bStart, bEnd] = window(all, 'b')
      const [cStart, cEnd] = window(all, 'c')
      const [dStart] = window(all, 'd')
      expect(Math.min(bStart, cStart)).toBeGreaterThan(aEnd)
      expect(Math.max(bStart, cStart)).toBeLessThan(Math.min(bEnd, cEnd))
      expect(dStart).toBeGreaterThan(Math.max(bEnd, cEnd))
    })

    it('runs a fan-out concurrently', async () => {
      // leaf0 ends only once another leaf runs while it does.
      const result = await run(fanOut)
      expect(Object.values(result.steps).every((state) => state === 'completed')).toBe(true)
      const all = await events()
      const leaves = Array.from({ length: 8 }, (_, index) => window(all, `leaf${index}`))
      const mostAtOnce = Math.max(
        ...leaves.map(([start]) => leaves.filter(([s, e]) => s <= start && start < e).length),
      )
      expect(mostAtOnce).toBeGreaterThanOrEqual(2)
      expect(window(all, 'join')[0]).toBeGreaterThan(Math.max(...leaves.map(([, end]) => end)))
    })

    const position = (all: Event[], label: string, event: string): number =>
      all.findIndex((each) => each.label === label && each.event === event)

    it('continue_on_failure: runs everything that does not depend on the failure', async () => {
      const result = await run(failing, { failureMode: 'continue_on_failure', cache: false })
      expect(result.status).toBe('failed')
      expect(result.steps).toEqual({ x: 'failed', w: 'skipped', y: 'completed', z: 'completed' })
    })

    it('stop_on_failure: lets running steps finish and starts nothing new', async () => {
      // y, running, waits until x has failed, then works a second more: the time the orchestrator has to
      // notice the failure, an event no step can observe. Had it not noticed by y's end, starting z would be right.
      const result = await run(failing, {
        failureMode: 'stop_on_failure',
        cache: false,
        params: { hold: 1000 },
      })
      expect(result.steps).toEqual({ x: 'failed', w: 'skipped', y: 'completed', z: 'not_started' })
      const all = await events()
      expect(position(all, 'x', 'hook-failure')).toBeLessThan(position(all, 'y', 'end'))
      expect(all.some((event) => event.label === 'z')).toBe(false)
    })

    it('fail_fast: stops running steps too', async () => {
      // y, once x has failed, would work 30 s: its end never comes when the orchestrator stops it.
      const result = await run(failing, { failureMode: 'fail_fast', cache: false, params: { hold: 30_000 } })
      // Descendants of a failed or stopped step are skipped.
      expect(result.steps).toEqual({ x: 'failed', w: 'skipped', y: 'stopped', z: 'skipped' })
      expect(position(await events(), 'y', 'end')).toBe(-1)
      const rows = await opened.environment.repositories.runs.stepRuns(result.id)
      expect(rows.find((row) => row.name === 'y')?.status).toBe('stopped')
    })

    it('retries per policy, planning delay × backoff^n before each attempt, and runs each hook once', async () => {
      const result = await run(retrying, { cache: false, retry: { maxRetries: 2, delay: 150, backoff: 2 } })
      expect(result.steps).toEqual({ flaky: 'completed', broken: 'failed' })
      const all = await events()
      const starts = all.filter((event) => event.label === 'flaky' && event.event.startsWith('start'))
      expect(starts.map((event) => event.event)).toEqual([
        'start attempt=1',
        'start attempt=2',
        'start attempt=3',
      ])
      // The waits the step runner took between attempts, as its log says: 150 ms, then 150 × 2.
      const client = new Client(opened.environment)
      expect((await client.runLogs(result.id, 'flaky')).match(/retrying in \d+ ms/g)).toEqual([
        'retrying in 150 ms',
        'retrying in 300 ms',
      ])
      expect(all.filter((event) => event.label === 'broken' && event.event.startsWith('start'))).toHaveLength(
        3,
      )
      expect(
        all
          .filter((event) => event.event.startsWith('hook'))
          .map((event) => `${event.label} ${event.event}`)
          .sort(),
      ).toEqual(['broken hook-failure', 'flaky hook-success'])
      const rows = await opened.environment.repositories.runs.stepRuns(result.id)
      expect(rows.find((row) => row.name === 'flaky')?.attempts).toBe(3)
      expect(rows.find((row) => row.name === 'broken')).toMatchObject({
        attempts: 3,
        status: 'failed',
        error: 'planned failure of attempt 3',
      })
    })

    it('never executes cached steps', async () => {
      await run(diamond)
      const before = (await events()).length
      const second = await run(diamond)
      expect(Object.values(second.steps)).toEqual(['cached', 'cached', 'cached', 'cached'])
      expect((await events()).length).toBe(before)
    })

    it('leaves nothing running when the run is interrupted', async () => {
      const controller = new AbortController()
      const result = run(long, { signal: controller.signal, cache: false })
      const longStarted = async (): Promise<Event> => {
        for (let polls = 0; polls < 400; polls++) {
          const started = (await events()).find((event) => event.label === 'long')
          if (started) return started
          await sleep(50)
        }
        throw new Error('the long step never started')
      }
      const stepPid = (await longStarted()).pid
      controller.abort()
      const finished = await result
      expect(finished.status).toBe('stopped')
      expect(finished.steps).toEqual({ long: 'stopped' })
      const { runs } = opened.environment.repositories
      expect((await runs.require(finished.id)).status).toBe('stopped')
      expect((await runs.stepRuns(finished.id)).map((row) => row.status)).toEqual(['stopped'])
      if (stepPid !== process.pid) {
        let alive = true
        try {
          process.kill(stepPid, 0)
        } catch {
          alive = false
        }
        expect(alive).toBe(false)
      }
    })
  })
}

export {
  type ArtifactStorePipelineSuiteOptions,
  artifactStorePipelineSuite,
} from './artifact-store-pipeline-suite.js'
