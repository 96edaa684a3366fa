// The runs `pnpm bench:cli` puts in its store before timing the read-only commands on a store with runs: a
// pipeline that logs, saves a named artifact and makes a version of a model, so that `runs describe`,
// `runs logs`, `artifact describe` and `model version list` have something to show.
import { pipeline, step } from '@strata/sdk'
import { z } from 'zod'

export const makeRows = step(
  {
    name: 'make_rows',
    params: z.object({ count: z.number().int().min(1) }),
    artifacts: { output: { name: 'bench-rows' } },
  },
  async (_inputs, ctx) => {
    ctx.logger.info(`making ${ctx.params.count} rows`)
    return Array.from({ length: ctx.params.count }, (_, index) => ({ index, square: index * index }))
  },
)

export const benchCli = pipeline(
  {
    name: 'bench_cli',
    model: { name: 'bench-model' },
    cache: false,
    params: z.object({ count: z.number().int().default(100) }),
  },
  ({ count }) => {
    makeRows({ params: { count } })
  },
)
