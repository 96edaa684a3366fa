import { describe, expect, it } from 'vitest'
import {
  encodeMetricValue,
  keyProblem,
  type LogBatch,
  MLFLOW_LIMITS,
  splitIntoBatches,
} from './mlflow-limits.js'

describe('MLflow limits', () => {
  it('splits a log into requests that respect every per-request limit and the 1 MB body limit', () => {
    const pending: LogBatch = {
      params: Array.from({ length: 230 }, (_, index) => ({ key: `p${index}`, value: 'v'.repeat(6000) })),
      tags: Array.from({ length: 120 }, (_, index) => ({ key: `t${index}`, value: 'x' })),
      metrics: Array.from({ length: 2600 }, (_, index) => ({
        key: 'm',
        value: index,
        timestamp: 1,
        step: index,
      })),
    }
    const batches = splitIntoBatches(pending)
    for (const batch of batches) {
      expect(batch.params.length).toBeLessThanOrEqual(MLFLOW_LIMITS.paramsPerRequest)
      expect(batch.tags.length).toBeLessThanOrEqual(MLFLOW_LIMITS.tagsPerRequest)
      expect(batch.metrics.length).toBeLessThanOrEqual(MLFLOW_LIMITS.metricsPerRequest)
      expect(batch.params.length + batch.tags.length + batch.metrics.length).toBeLessThanOrEqual(1000)
      expect(Buffer.byteLength(JSON.stringify({ run_id: 'x'.repeat(32), ...batch }))).toBeLessThan(1_000_000)
    }
    // Nothing lost, nothing reordered.
    expect(batches.flatMap((batch) => batch.params)).toEqual(pending.params)
    expect(batches.flatMap((batch) => batch.tags)).toEqual(pending.tags)
    expect(batches.flatMap((batch) => batch.metrics)).toEqual(pending.metrics)
  })

  it("checks keys as MLflow's server does", () => {
    for (const key of ['loss', 'val/loss', 'a b:c-d.e_f', 'précision'])
      expect(keyProblem('metric', key)).toBeUndefined()
    for (const key of ['', '/abs', 'a//b', 'a/', './a', 'a/../b', 'what?', 'tab\there']) {
      expect(keyProblem('metric', key)?.code).toBe('MLFLOW_INVALID_VALUE')
    }
    expect(keyProblem('tag', 'é'.repeat(250))).toBeUndefined()
    expect(keyProblem('tag', 'é'.repeat(251))?.code).toBe('MLFLOW_LIMIT_EXCEEDED')
  })

  it('spells non-finite metric values as protobuf JSON does', () => {
    expect(
      [1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY].map(encodeMetricValue),
    ).toEqual([1.5, 'NaN', 'Infinity', '-Infinity'])
  })
})
