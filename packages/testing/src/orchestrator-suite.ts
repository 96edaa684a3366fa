import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Pipeline, RunEnvironment } from '@strata/sdk'
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
  at: number
  pid: number
}

/**
 * The orchestrator conformance suite: every orchestrator flavor runs it. It drives real pipelines through
 * the SDK's runtime and checks what the steps observed: overlap of independent steps, each failure mode's
 * exact sets of failed, skipped and not-started steps, retry counts, hooks that run once, cached steps
 * that never execute, and an interrupted run that leaves nothing running.
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
          return {
            label: parts[0]!,
            event: parts.slice(1, -2).join(' '),
            at: Number(parts.at(-2)),
            pid: Number(parts.at(-1)),
          }
        })
    }
    const window = (all: Event[], label: string): [number, number] => {
      const start = all.find((event) => event.label === label && event.event.startsWith('start'))
      const end = all.find((event) => event.label === label && event.event === 'end')
      if (!start || !end) throw new Error(`step ${label} did not start and end: ${JSON.stringify(all)}`)
      return [start.at, end.at]
    }

    it('runs a diamond in dependency order with its branches overlapping', async () => {
      const result = await run(diamond, { params: { ms: 400 } })
      expect(result.steps).toEqual({ a: 'completed', b: 'completed', c: 'completed', d: 'completed' })
      const all = await events()
      const [, aEnd] = window(all, 'a')
      const [bStart, bEnd] = window(all, 'b')
      const [cStart, cEnd] = window(all, 'c')
      const [dStart] = window(all, 'd')
      expect(Math.min(bStart, cStart)).toBeGreaterThanOrEqual(aEnd)
      expect(Math.max(bStart, cStart)).toBeLessThan(Math.min(bEnd, cEnd))
      expect(dStart).toBeGreaterThanOrEqual(Math.max(bEnd, cEnd))
    })

    it('runs a fan-out concurrently', async () => {
      const result = await run(fanOut, { params: { ms: 400 } })
      expect(Object.values(result.steps).every((state) => state === 'completed')).toBe(true)
      const all = await events()
      const leaves = Array.from({ length: 8 }, (_, index) => window(all, `leaf${index}`))
      const mostAtOnce = Math.max(
        ...leaves.map(([start]) => leaves.filter(([s, e]) => s <= start && start < e).length),
      )
      expect(mostAtOnce).toBeGreaterThanOrEqual(2)
      expect(window(all, 'join')[0]).toBeGreaterThanOrEqual(Math.max(...leaves.map(([, end]) => end)))
    })

    it('continue_on_failure: runs everything that does not depend on the failure', async () => {
      const result = await run(failing, { failureMode: 'continue_on_failure', cache: false })
      expect(result.status).toBe('failed')
      expect(result.steps).toEqual({ x: 'failed', w: 'skipped', y: 'completed', z: 'completed' })
    })

    it('stop_on_failure: lets running steps finish and starts nothing new', async () => {
      const result = await run(failing, { failureMode: 'stop_on_failure', cache: false })
      expect(result.steps).toEqual({ x: 'failed', w: 'skipped', y: 'completed', z: 'not_started' })
      expect((await events()).some((event) => event.label === 'z')).toBe(false)
    })

    it('fail_fast: stops running steps too', async () => {
      const started = Date.now()
      const result = await run(failing, { failureMode: 'fail_fast', cache: false })
      // Descendants of a failed or stopped step are skipped.
      expect(result.steps).toEqual({ x: 'failed', w: 'skipped', y: 'stopped', z: 'skipped' })
      expect(Date.now() - started).toBeLessThan(2400)
      const rows = await opened.environment.repositories.runs.stepRuns(result.id)
      expect(rows.find((row) => row.name === 'y')?.status).toBe('stopped')
    })

    it('retries per policy, waiting delay × backoff^n between attempts, and runs each hook once', async () => {
      const result = await run(retrying, { cache: false, retry: { maxRetries: 2, delay: 150, backoff: 2 } })
      expect(result.steps).toEqual({ flaky: 'completed', broken: 'failed' })
      const all = await events()
      const starts = all.filter((event) => event.label === 'flaky' && event.event.startsWith('start'))
      expect(starts.map((event) => event.event)).toEqual([
        'start attempt=1',
        'start attempt=2',
        'start attempt=3',
      ])
      // 150 ms before the first retry, 300 ms before the second (generous upper bounds for busy machines).
      const gaps = starts.slice(1).map((event, index) => event.at - starts[index]!.at)
      expect(gaps[0]).toBeGreaterThanOrEqual(140)
      expect(gaps[0]).toBeLessThan(150 + 2000)
      expect(gaps[1]).toBeGreaterThanOrEqual(290)
      expect(gaps[1]).toBeLessThan(300 + 2000)
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
      await run(diamond, { params: { ms: 1 } })
      const before = (await events()).length
      const second = await run(diamond, { params: { ms: 1 } })
      expect(Object.values(second.steps)).toEqual(['cached', 'cached', 'cached', 'cached'])
      expect((await events()).length).toBe(before)
    })

    it('leaves nothing running when the run is interrupted', async () => {
      const controller = new AbortController()
      const result = run(long, { signal: controller.signal, cache: false })
      for (let waited = 0; !(await events()).some((event) => event.label === 'long'); waited += 50) {
        if (waited > 20_000) throw new Error('the long step never started')
        await sleep(50)
      }
      const stepPid = (await events()).find((event) => event.label === 'long')!.pid
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
