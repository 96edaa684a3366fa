import { describe, expect, it } from 'vitest'
import { type DagNode, executeDag } from './dag-executor.js'
import type { StepOutcome } from './orchestrator.js'
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

/** Lets every pending callback run: what the executor starts in reaction to an outcome has started after it. */
const settled = () => new Promise((resolve) => setImmediate(resolve))

/**
 * Nodes that run until the test finishes them (or their signal aborts them: they end `stopped`), so each
 * test decides the order of events instead of timing it. `started` and `aborted` list ids in order.
 */
function controlledRun(options: { failureMode: FailureMode; concurrency?: number; graph?: DagNode[] }) {
  const started: string[] = []
  const aborted: string[] = []
  const running = new Map<string, (outcome: StepOutcome) => void>()
  const states = executeDag({
    nodes: options.graph ?? nodes,
    concurrency: options.concurrency ?? 8,
    failureMode: options.failureMode,
    execute: (id, signal) =>
      new Promise<StepOutcome>((resolve) => {
        started.push(id)
        running.set(id, resolve)
        // One signal serves every node; only a node still running is aborted by it.
        signal.addEventListener('abort', () => {
          if (!running.delete(id)) return
          aborted.push(id)
          resolve({ status: 'stopped' })
        })
      }),
  })
  const finish = async (id: string, status: 'completed' | 'failed' = 'completed'): Promise<void> => {
    const resolve = running.get(id)
    if (!resolve) throw new Error(`${id} is not running; started: ${started.join(', ')}`)
    running.delete(id)
    resolve(status === 'failed' ? { status, error: 'boom' } : { status })
    await settled()
  }
  return { states, started, aborted, running: () => [...running.keys()].sort(), finish }
}

describe('executeDag', () => {
  it('runs a diamond with its branches overlapping, and its join after both', async () => {
    const run = controlledRun({ failureMode: 'continue_on_failure' })
    await settled()
    expect(run.running()).toEqual(['a', 'e'])
    await run.finish('a')
    // b and c both run before either has ended.
    expect(run.running()).toEqual(['b', 'c', 'e'])
    await run.finish('b')
    expect(run.started).not.toContain('d')
    await run.finish('c')
    expect(run.running()).toEqual(['d', 'e'])
    for (const id of ['d', 'e', 'f']) await run.finish(id)
    expect(Object.values(await run.states).every((state) => state === 'completed')).toBe(true)
    expect(run.started).toEqual(['a', 'e', 'b', 'c', 'd', 'f'])
  })

  it('never runs more than the concurrency at once', async () => {
    const wide = Array.from({ length: 16 }, (_, index) => ({ id: `n${index}`, upstream: [] }))
    const run = controlledRun({ failureMode: 'continue_on_failure', concurrency: 4, graph: wide })
    await settled()
    expect(run.running()).toEqual(['n0', 'n1', 'n2', 'n3'])
    // Each node that ends makes room for exactly one more.
    for (let index = 0; index < 16; index++) {
      await run.finish(`n${index}`)
      expect(run.running()).toHaveLength(Math.min(4, 15 - index))
    }
    expect(Object.values(await run.states)).toHaveLength(16)
  })

  it('continue_on_failure skips only the descendants of the failure', async () => {
    const run = controlledRun({ failureMode: 'continue_on_failure' })
    await settled()
    await run.finish('a')
    await run.finish('b', 'failed')
    await run.finish('c')
    await run.finish('e')
    expect(await run.states).toEqual({
      a: 'completed',
      e: 'completed',
      b: 'failed',
      c: 'completed',
      d: 'skipped',
      f: 'skipped',
    })
  })

  it('stop_on_failure lets running steps finish and starts nothing new', async () => {
    const run = controlledRun({ failureMode: 'stop_on_failure' })
    await settled()
    await run.finish('a')
    // b fails while c and e run: they finish, unaborted, and nothing starts after them.
    await run.finish('b', 'failed')
    expect(run.running()).toEqual(['c', 'e'])
    await run.finish('c')
    await run.finish('e')
    expect(await run.states).toEqual({
      a: 'completed',
      e: 'completed',
      b: 'failed',
      c: 'completed',
      d: 'skipped',
      f: 'skipped',
    })
    expect(run.aborted).toEqual([])
    expect(run.started).toEqual(['a', 'e', 'b', 'c'])
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
    const run = controlledRun({ failureMode: 'fail_fast' })
    await settled()
    await run.finish('a')
    // b fails while c and e run: both are aborted.
    await run.finish('b', 'failed')
    expect(await run.states).toEqual({
      a: 'completed',
      e: 'stopped',
      b: 'failed',
      c: 'stopped',
      d: 'skipped',
      f: 'skipped',
    })
    expect(run.aborted.sort()).toEqual(['c', 'e'])
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
