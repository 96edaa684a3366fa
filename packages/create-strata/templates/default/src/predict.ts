import { model, pipeline, step } from '@strata/sdk'
import { z } from 'zod'
import type { Line } from './pipeline.js'

/** y for each x, by the line of the version of the model `line` in production. */
export const predict = step(
  {
    name: 'predict',
    params: z.object({ xs: z.array(z.number()).default([10, 100]) }),
    model: model<{ line: Line }>({ name: 'line', version: 'production' }),
  },
  async (_inputs, ctx) => {
    const line = await ctx.model.loadArtifact('line')
    const predictions = ctx.params.xs.map((x) => ({ x, y: line.slope * x + line.intercept }))
    ctx.logger.info(
      `line version ${ctx.model.number}: ${predictions.map(({ x, y }) => `${x} -> ${y.toFixed(3)}`).join(', ')}`,
    )
    return predictions
  },
)

// Not cached: every run reads whichever version is in production when it starts.
export const prediction = pipeline({ name: 'predict', cache: false }, () => {
  predict()
})
