import { randomUUID } from 'node:crypto'
import {
  type ArtifactVersionInfo,
  type JsonObject,
  type Logger,
  type MetadataValue,
  type PipelineSnapshot,
  type ResolvedModel,
  type StepContext,
  type StepModelContext,
  type StepTracking,
  StrataError,
} from '@strata/core'
import type { RunRecorder } from '../recording/run-events.js'
import { findNonJson } from '../util/json.js'

export interface StepContextOptions {
  snapshot: PipelineSnapshot
  stepId: string
  params: Record<string, unknown>
  attempt: number
  logger: Logger
  signal: AbortSignal
  recorder: RunRecorder
  tracking: StepTracking | undefined
  model: StepModelContext | undefined
}

/** The `ctx` a step function receives. */
export function createStepContext(options: StepContextOptions): StepContext<Record<string, unknown>> {
  const { snapshot, stepId } = options
  const logMetadata = (metadata: Record<string, MetadataValue>): void => {
    const problem = findNonJson(metadata)
    if (problem) {
      throw new StrataError(
        'INVALID_METADATA',
        `step '${stepId}': metadata ${problem.path} is ${problem.found}, which is not JSON — ${problem.hint}`,
      )
    }
    options.recorder.record({
      type: 'metadata',
      id: randomUUID(),
      step: stepId,
      values: metadata as JsonObject,
      ...(options.model ? { modelVersionId: options.model.versionId } : {}),
    })
  }
  return {
    params: options.params,
    pipelineName: snapshot.pipeline.name,
    runId: snapshot.runId,
    runName: snapshot.runName,
    stepName: stepId,
    attempt: options.attempt,
    logger: options.logger,
    signal: options.signal,
    logMetadata,
    experimentTracker: options.tracking,
    get model(): StepModelContext {
      if (!options.model) {
        throw new StrataError(
          'NO_MODEL',
          `step '${stepId}' has no model — declare one with model: { name } on the step or the pipeline`,
        )
      }
      return options.model
    },
  }
}

export interface ModelContextOptions {
  model: ResolvedModel
  stepId: string
  recorder: RunRecorder
  /** The artifacts linked to the version, by name. */
  artifacts(): Promise<Record<string, ArtifactVersionInfo>>
  load(version: ArtifactVersionInfo): Promise<unknown>
}

/** `ctx.model`: the run's model version, its linked artifacts, and metadata logged on it. */
export function createModelContext(options: ModelContextOptions): StepModelContext {
  const { model } = options
  return {
    name: model.name,
    number: model.number,
    versionId: model.versionId,
    async loadArtifact(name: string) {
      const artifacts = await options.artifacts()
      const version = artifacts[name]
      if (!version) {
        throw new StrataError(
          'MODEL_ARTIFACT_NOT_FOUND',
          `version ${model.number} of model '${model.name}' has no artifact '${name}' — it has: ${Object.keys(artifacts).join(', ') || 'none'}; link one by saving it in a step of a run with this model`,
        )
      }
      return options.load(version)
    },
    logMetadata(metadata: Record<string, MetadataValue>) {
      const problem = findNonJson(metadata)
      if (problem) {
        throw new StrataError(
          'INVALID_METADATA',
          `model metadata ${problem.path} is ${problem.found}, which is not JSON — ${problem.hint}`,
        )
      }
      options.recorder.record({
        type: 'metadata',
        id: randomUUID(),
        step: options.stepId,
        values: metadata as JsonObject,
        modelVersionId: model.versionId,
        modelOnly: true,
      })
    },
  } as StepModelContext
}
