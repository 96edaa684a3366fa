import { describe, expect, it } from 'vitest'
import { fitLine, load } from './pipeline.js'

// step.call runs a step's function directly: no store, no orchestrator.
describe('fitLine', () => {
  it('finds the line through points on it', async () => {
    const line = await fitLine.call({
      points: [
        { x: 0, y: 1 },
        { x: 1, y: 3 },
        { x: 2, y: 5 },
      ],
    })
    expect(line.slope).toBeCloseTo(2)
    expect(line.intercept).toBeCloseTo(1)
  })

  it('fits what load makes', async () => {
    const line = await fitLine.call({ points: await load.call({ rows: 30 }) })
    expect(line.slope).toBeCloseTo(2, 1)
  })
})
