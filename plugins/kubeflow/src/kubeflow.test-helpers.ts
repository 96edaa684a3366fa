// Snapshots for compiler tests: a pipeline compiled by the SDK, with only what the Kubeflow compiler reads.
import type { PipelineSnapshot } from '@strata/core'
import type { Pipeline } from '@strata/sdk'
import { compilePipeline as compileStrata } from '@strata/sdk/internal'
import type { RunHandover } from './executor-config.js'

export const HANDOVER: RunHandover = {
  secretName: 'training-9c9ae5e1-env',
  secretKeys: ['STRATA_ARTIFACT_STORE', 'STRATA_SECRET_VALUES'],
  runtimeConfigMaps: ['training-9c9ae5e1-runtime-0', 'training-9c9ae5e1-runtime-1'],
}

export const RUN_URI = 's3://bucket/strata/runs/9c9ae5e1-7d3b-4c1e-9d7a-1234567890ab'

/** The snapshot of a run of `pipeline` (no store: the parts the Kubeflow compiler reads are real). */
export function snapshotOf(
  pipeline: Pipeline<never> | { definition: unknown },
  options: {
    params?: Record<string, unknown>
    settings?: Record<string, unknown>
    steps?: Record<string, { settings: Record<string, unknown> }>
  } = {},
): PipelineSnapshot {
  const compiled = compileStrata((pipeline as { definition: never }).definition, {
    ...(options.params ? { params: options.params } : {}),
    args: {
      ...(options.settings ? { settings: options.settings } : {}),
      ...(options.steps ? { steps: options.steps } : {}),
    } as never,
  })
  return {
    schemaVersion: 1,
    runId: '9c9ae5e1-7d3b-4c1e-9d7a-1234567890ab',
    runName: `${compiled.pipelineName}-1`,
    pipeline: { name: compiled.pipelineName, parameters: compiled.parameters },
    steps: compiled.steps.map((step) => ({
      id: step.id,
      step: step.definition.name,
      source: { module: 'pipelines.ts' },
      inputs: {},
      parameters: step.parameters,
      upstream: step.upstream,
      outputs: step.outputs,
      settings: step.settings,
      retry: step.retry,
      cache: step.cache,
      codeFingerprint: 'x',
      experimentTracker: false,
      env: step.env,
      secrets: step.secrets,
    })),
    failureMode: compiled.failureMode,
    settings: compiled.settings,
    stack: { name: 'kubeflow', components: {} },
    code: { root: '/project', modules: {} },
    createdAt: '2026-12-05T00:00:00.000Z',
  }
}
