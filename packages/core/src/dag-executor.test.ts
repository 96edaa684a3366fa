import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { type DagNode, executeDag } from './dag-executor.js'
import type { FailureMode } from './snapshot.js'

// a → b, a → c, b → d, c → d (diamond); e independent; f after d
const nodes: DagNode[] = [
  { id: 'a', upstream: [] },
  { id: 'e', upstream: [] },
  { id: 'b', upstream: ['a'] },
  { id: 'c', upstream: ['a'] },
  { id: 'd', upstream: ['b', 'c'] },
  { id: 'f', upstream: ['d'] },
]

function run(failureMode: FailureMode, failing: string, durations: Record<string, number> = {}) {
  const started: string[] = []
  const aborted: string[] = []
  return executeDag({
    nodes,
    concurrency: 8,
    failureMode,
    execute: async (id, signal) => {
      started.push(id)
      const duration = durations[id] ?? 10
      try {
        await sleep(duration, undefined, { signal })
      } catch {
        aborted.push(id)
        return { status: 'stopped' }
      }
      return id === failing ? { status: 'failed', error: 'boom' } : { status: 'completed' }
    },
  }).then((states) => ({ states, started, aborted }))
}

describe('executeDag', () => {
  it('runs a diamond with its branches overlapping', async () => {
    const windows: Record<string, [number, number]> = {}
    const states = await executeDag({
      nodes,
      concurrency: 8,
      failureMode: 'continue_on_failure',
      execute: async (id) => {
        const start = performance.now()
        await sleep(30)
        windows[id] = [start, performance.now()]
        return { status: 'completed' }
      },
    })
    expect(Object.values(states).every((state) => state === 'completed')).toBe(true)
    const [bStart, bEnd] = windows.b!
    const [cStart, cEnd] = windows.c!
    expect(Math.max(bStart, cStart)).toBeLessThan(Math.min(bEnd, cEnd))
    expect(windows.d![0]).toBeGreaterThanOrEqual(Math.max(bEnd, cEnd))
  })

  it('never runs more than the concurrency at once', async () => {
    let running = 0
    let peak = 0
    const wide = Array.from({ length: 16 }, (_, index) => ({ id: `n${index}`, upstream: [] }))
    await executeDag({
      nodes: wide,
      concurrency: 4,
      failureMode: 'continue_on_failure',
      execute: async () => {
        peak = Math.max(peak, ++running)
        await sleep(5)
        running--
        return { status: 'completed' }
      },
    })
    expect(peak).toBe(4)
  })

  it('continue_on_failure skips only the descendants of the failure', async () => {
    const { states } = await run('continue_on_failure', 'b')
    expect(states).toEqual({
      a: 'completed',
      e: 'completed',
      b: 'failed',
      c: 'completed',
      d: 'skipped',
      f: 'skipped',
    })
  })

  it('stop_on_failure lets running steps finish and starts nothing new', async () => {
    // b fails at 10 ms while c (60 ms) runs; e is slow too.
    const { states, aborted } = await run('stop_on_failure', 'b', { c: 60, e: 60 })
    expect(states).toEqual({
      a: 'completed',
      e: 'completed',
      b: 'failed',
      c: 'completed',
      d: 'skipped',
      f: 'skipped',
    })
    expect(aborted).toEqual([])
  })

  it('stop_on_failure leaves independent work not started', async () => {
    const chain: DagNode[] = [
      { id: 'x', upstream: [] },
      { id: 'y', upstream: [] },
      { id: 'z', upstream: ['y'] },
    ]
    const states = await executeDag({
      nodes: chain,
      concurrency: 1,
      failureMode: 'stop_on_failure',
      execute: async (id) => ({ status: id === 'x' ? 'failed' : 'completed' }),
    })
    expect(states).toEqual({ x: 'failed', y: 'not_started', z: 'not_started' })
  })

  it('fail_fast aborts running steps', async () => {
    const { states, aborted } = await run('fail_fast', 'b', { c: 500, e: 500 })
    expect(states).toEqual({
      a: 'completed',
      e: 'stopped',
      b: 'failed',
      c: 'stopped',
      d: 'skipped',
      f: 'skipped',
    })
    expect(aborted.sort()).toEqual(['c', 'e'])
  })

  it('never executes nodes that are already done', async () => {
    const executed: string[] = []
    const states = await executeDag({
      nodes,
      done: new Set(['a', 'b']),
      concurrency: 2,
      failureMode: 'fail_fast',
      execute: async (id) => {
        executed.push(id)
        return { status: 'completed' }
      },
    })
    expect(executed.sort()).toEqual(['c', 'd', 'e', 'f'])
    expect(states.a).toBe('cached')
  })

  it('stops starting steps when the run is aborted', async () => {
    const controller = new AbortController()
    const states = await executeDag({
      nodes,
      concurrency: 1,
      failureMode: 'continue_on_failure',
      signal: controller.signal,
      execute: async (id, signal) => {
        if (id === 'a') controller.abort()
        return { status: signal.aborted ? 'stopped' : 'completed' }
      },
    })
    expect(states.a).toBe('stopped')
    expect(
      Object.entries(states).filter(([, state]) => state === 'not_started' || state === 'skipped'),
    ).toHaveLength(5)
  })

  it('lets running steps finish and starts nothing new when drained', async () => {
    const drain = new AbortController()
    const states = await executeDag({
      nodes,
      concurrency: 8,
      failureMode: 'continue_on_failure',
      drain: drain.signal,
      execute: async (id, signal) => {
        // 'a' and 'e' start together; once both run, the drain comes, and both finish unaborted.
        await Promise.resolve()
        if (id === 'a') drain.abort()
        await Promise.resolve()
        return { status: signal.aborted ? 'stopped' : 'completed' }
      },
    })
    expect(states).toMatchObject({ a: 'completed', e: 'completed' })
    expect(['b', 'c', 'd', 'f'].map((id) => states[id])).toEqual([
      'not_started',
      'not_started',
      'not_started',
      'not_started',
    ])
  })
})
