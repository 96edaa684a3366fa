import type { PipelineSnapshot } from '@strata/core'
import { describe, expect, it } from 'vitest'
import { DEFAULT_IMAGE } from './kubernetes-orchestrator-flavor.js'
import { runSettings } from './run-settings.js'

function snapshot(pipeline: unknown, step: unknown = pipeline): PipelineSnapshot {
  return {
    pipeline: { name: 'training', parameters: {} },
    settings: { 'orchestrator.kubernetes': pipeline },
    steps: [{ id: 'train', settings: { 'orchestrator.kubernetes': step } }],
  } as unknown as PipelineSnapshot
}

describe('run settings', () => {
  it('defaults to a synchronous run on a stock Node image', () => {
    const settings = runSettings(snapshot(undefined))
    expect(settings.pipeline).toMatchObject({
      synchronous: true,
      image: DEFAULT_IMAGE,
      backoffLimitMargin: 0,
    })
    expect(settings.pipeline.failOnContainerWaitingReasons).toContain('ErrImagePull')
  })

  it("accepts ZenML's spelling and keeps user keys as written", () => {
    const settings = runSettings(
      snapshot({
        max_parallelism: 4,
        pod_settings: {
          node_selectors: { disk_type: 'ssd' },
          labels: { team_name: 'ml' },
          resources: { requests: { cpu: '1' } },
        },
      }),
    )
    expect(settings.pipeline.maxParallelism).toBe(4)
    expect(settings.step('train').podSettings).toEqual({
      nodeSelectors: { disk_type: 'ssd' },
      labels: { team_name: 'ml' },
      resources: { requests: { cpu: '1' } },
    })
  })

  it('refuses a bad field before anything is submitted, naming the step', () => {
    expect(() => runSettings(snapshot({}, { maxParallelism: 0 }))).toThrow(
      "settings 'orchestrator.kubernetes' of step 'train': maxParallelism: Too small",
    )
    expect(() => runSettings(snapshot({ podSetings: {} }))).toThrow(/pipeline 'training': unknown podSetings/)
  })
})
