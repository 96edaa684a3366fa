// Pipelines the orchestrator conformance suite runs. Module-level exports (step processes find steps by
// their module's exports); no test-runner imports, so the module bundles for step processes.
// Steps append what they observe to `events.log` in $STRATA_CONFORMANCE_DIR, which step processes inherit.
import { appendFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { input, pipeline, step } from '@strata/sdk'
import { z } from 'zod'

function note(label: string, event: string): void {
  const directory = process.env.STRATA_CONFORMANCE_DIR
  if (directory)
    appendFileSync(join(directory, 'events.log'), `${label} ${event} ${Date.now()} ${process.pid}\n`)
}

export const work = step(
  {
    name: 'work',
    outputs: [],
    params: z.object({ label: z.string(), ms: z.number().default(0), failAttempts: z.number().default(0) }),
    onSuccess: (context) => note(context.stepName ?? '?', 'hook-success'),
    onFailure: (_error, context) => note(context.stepName ?? '?', 'hook-failure'),
  },
  async (_inputs, ctx) => {
    note(ctx.params.label, `start attempt=${ctx.attempt}`)
    if (ctx.attempt <= ctx.params.failAttempts) throw new Error(`planned failure of attempt ${ctx.attempt}`)
    await sleep(ctx.params.ms, undefined, { signal: ctx.signal })
    note(ctx.params.label, 'end')
  },
)

const timing = z.object({ ms: z.number().default(150) })

/** a → (b, c) → d */
export const diamond = pipeline({ name: 'conformance-diamond', params: timing }, ({ ms }) => {
  work({ id: 'a', params: { label: 'a', ms } })
  work({ id: 'b', params: { label: 'b', ms }, after: ['a'] })
  work({ id: 'c', params: { label: 'c', ms }, after: ['a'] })
  work({ id: 'd', params: { label: 'd', ms }, after: ['b', 'c'] })
})

/** root → 8 leaves → join */
export const fanOut = pipeline({ name: 'conformance-fan-out', params: timing }, ({ ms }) => {
  work({ id: 'root', params: { label: 'root' } })
  const leaves = Array.from({ length: 8 }, (_, index) => `leaf${index}`)
  for (const id of leaves) work({ id, params: { label: id, ms }, after: ['root'] })
  work({ id: 'join', params: { label: 'join' }, after: leaves })
})

/** x fails at once, w depends on it; y runs long, z depends on y. */
export const failing = pipeline({ name: 'conformance-failing' }, () => {
  work({ id: 'x', params: { label: 'x', failAttempts: 99 } })
  work({ id: 'w', params: { label: 'w' }, after: ['x'] })
  work({ id: 'y', params: { label: 'y', ms: 2500 } })
  work({ id: 'z', params: { label: 'z' }, after: ['y'] })
})

/** flaky fails twice then succeeds; broken always fails. Retries come from the run config. */
export const retrying = pipeline({ name: 'conformance-retrying' }, () => {
  work({ id: 'flaky', params: { label: 'flaky', failAttempts: 2 } })
  work({ id: 'broken', params: { label: 'broken', failAttempts: 99 } })
})

/** One long step, to interrupt. */
export const long = pipeline({ name: 'conformance-long' }, () => {
  work({ id: 'long', params: { label: 'long', ms: 30_000 } })
})

export const produce = step(
  { name: 'produce', params: z.object({ size: z.number().default(4) }) },
  async (_inputs, ctx) => ({
    values: Array.from({ length: ctx.params.size }, (_, index) => index * 1.5),
    bytes: Array.from({ length: 3 }, (_, index) => index),
  }),
)

export const transform = step(
  { name: 'transform', inputs: { data: input<{ values: number[] }>() }, outputs: ['doubled', 'weights'] },
  async ({ data }) => ({
    doubled: data.values.map((value) => value * 2),
    weights: new Float32Array(data.values),
  }),
)

/** Never cached: it must read its inputs back from the store on every run. */
export const consume = step(
  {
    name: 'consume',
    inputs: { doubled: input<number[]>(), weights: input<Float32Array>() },
    cache: false,
  },
  async ({ doubled, weights }) => ({
    sum: doubled.reduce((total, value) => total + value, 0),
    weights: [...weights],
    weightsType: weights.constructor.name,
  }),
)

/** produce → transform → consume: JSON and typed-array artifacts through the stack's artifact store. */
export const dataFlow = pipeline(
  { name: 'conformance-data-flow', params: z.object({ size: z.number().default(4) }) },
  ({ size }) => {
    const { doubled, weights } = transform({ data: produce({ params: { size } }) })
    consume({ doubled, weights })
  },
)
