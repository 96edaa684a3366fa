// The benchmark workloads in Strata. bench/zenml/pipelines.py holds the same pipelines in ZenML, side by
// side, so a reader can check that both do the same work: every step sleeps `ms` and passes a small
// artifact (an integer) to the next.
import { setTimeout as sleep } from 'node:timers/promises'
import { input, type OutputHandle, pipeline, step } from '@strata/sdk'
import { z } from 'zod'

const timing = z.object({ ms: z.number().min(0) })

export const first = step(
  { name: 'first', params: timing.extend({ start: z.number().int() }) },
  async (_inputs, ctx) => {
    await sleep(ctx.params.ms)
    return ctx.params.start
  },
)

export const link = step(
  { name: 'link', inputs: { value: input<number>() }, params: timing },
  async ({ value }, ctx) => {
    await sleep(ctx.params.ms)
    return value + 1
  },
)

/** `n` steps in a row, each waiting `ms` and handing an integer (counting up from `start`) to the next. */
export const chain = pipeline(
  {
    name: 'bench_chain',
    params: z.object({
      n: z.number().int().min(1),
      ms: z.number().min(0),
      start: z.number().int().default(0),
    }),
  },
  ({ n, ms, start }) => {
    let value: OutputHandle<number> = first({ params: { ms, start } })
    for (let index = 1; index < n; index++) value = link({ value }, { params: { ms } })
  },
)

export const source = step({ name: 'source' }, async () => 1)

export const work = step(
  {
    name: 'work',
    inputs: { seed: input<number>() },
    params: z.object({ ms: z.number().min(0), index: z.number().int() }),
  },
  async ({ seed }, ctx) => {
    await sleep(ctx.params.ms)
    return seed + ctx.params.index
  },
)

/** One source step feeding `width` independent steps of `ms` each: the critical path is one `ms`. */
export const fanOut = pipeline(
  { name: 'bench_fan_out', params: z.object({ width: z.number().int().min(1), ms: z.number().min(0) }) },
  ({ width, ms }) => {
    const seed = source()
    for (let index = 0; index < width; index++) work({ seed }, { params: { ms, index } })
  },
)
