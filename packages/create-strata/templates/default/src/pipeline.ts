import { input, pipeline, step } from '@strata/sdk'
import { z } from 'zod'

export interface Point {
  x: number
  y: number
}

export interface Line {
  slope: number
  intercept: number
}

/** Points on y = 2x + 1, with a little noise. */
export const load = step(
  { name: 'load', params: z.object({ rows: z.number().int().min(2).default(20) }) },
  async (_inputs, ctx) => {
    ctx.logger.info(`loading ${ctx.params.rows} points`)
    return Array.from(
      { length: ctx.params.rows },
      (_, x): Point => ({ x, y: 2 * x + 1 + ((x % 3) - 1) / 10 }),
    )
  },
)

/** The least-squares line through the points: the model (the artifact `line` of a version of the model `line`). */
export const fitLine = step(
  {
    name: 'fit',
    inputs: { points: input<Point[]>() },
    artifacts: { output: { name: 'line', kind: 'model' } },
  },
  async ({ points }) => {
    const n = points.length
    const meanX = points.reduce((sum, point) => sum + point.x, 0) / n
    const meanY = points.reduce((sum, point) => sum + point.y, 0) / n
    let covariance = 0
    let variance = 0
    for (const point of points) {
      covariance += (point.x - meanX) * (point.y - meanY)
      variance += (point.x - meanX) ** 2
    }
    const slope = covariance / variance
    return { slope, intercept: meanY - slope * meanX } satisfies Line
  },
)

/** The mean absolute error of the line on the points. */
export const evaluate = step(
  { name: 'evaluate', inputs: { points: input<Point[]>(), line: input<Line>() } },
  async ({ points, line }, ctx) => {
    const error =
      points.reduce((sum, point) => sum + Math.abs(line.slope * point.x + line.intercept - point.y), 0) /
      points.length
    ctx.logger.info(`mean absolute error ${error.toFixed(3)}`)
    // Lands on the step run and on the run's model version.
    ctx.logMetadata({ meanAbsoluteError: error })
    return error
  },
)

// Each run makes a new version of the model `line` (registered by the first run).
export const training = pipeline(
  {
    name: 'training',
    model: { name: 'line' },
    params: z.object({ rows: z.number().int().min(2).default(20) }),
  },
  ({ rows }) => {
    const points = load({ params: { rows } })
    evaluate({ points, line: fitLine({ points }) })
  },
)
