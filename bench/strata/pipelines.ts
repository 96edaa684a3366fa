// The benchmark workloads in Strata. bench/zenml/pipelines.py holds the same pipelines in ZenML, side by
// side, so a reader can check that both do the same work: every step sleeps `ms` and passes a small
// artifact (an integer) to the next.
import { setTimeout as sleep } from 'node:timers/promises'
import { input, type OutputHandle, pipeline, step } from '@strata/sdk'
import { z } from 'zod'
import { type BenchRecord, makeBytes, makeRecords } from './payloads.ts'

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

/**
 * Time the producing steps of the artifact pipelines spent making their value (not the framework's work:
 * the driver subtracts it). Read in the same process, after an in-process run.
 */
export const making = { ms: 0 }

function made<T>(make: () => T): T {
  const begin = performance.now()
  const value = make()
  making.ms += performance.now() - begin
  return value
}

export const produceBytes = step(
  { name: 'produce_bytes', params: z.object({ mib: z.number().int().min(1) }) },
  async (_inputs, ctx) => made(() => makeBytes(ctx.params.mib)),
)

export const consumeBytes = step(
  { name: 'consume_bytes', inputs: { data: input<Buffer>() } },
  async ({ data }) => data.byteLength,
)

/** One step returns `mib` MiB as a Buffer, the next takes it as its input. */
export const bytesHandOff = pipeline(
  { name: 'bench_bytes', params: z.object({ mib: z.number().int().min(1) }) },
  ({ mib }) => {
    consumeBytes({ data: produceBytes({ params: { mib } }) })
  },
)

export const produceRecords = step(
  { name: 'produce_records', params: z.object({ count: z.number().int().min(1) }) },
  async (_inputs, ctx) => made(() => makeRecords(ctx.params.count)),
)

export const consumeRecords = step(
  { name: 'consume_records', inputs: { records: input<BenchRecord[]>() } },
  async ({ records }) => records.length,
)

/** One step returns `count` records (a JSON artifact), the next takes them as its input. */
export const recordsHandOff = pipeline(
  { name: 'bench_records', params: z.object({ count: z.number().int().min(1) }) },
  ({ count }) => {
    consumeRecords({ records: produceRecords({ params: { count } }) })
  },
)
