import type { StepTracking } from './experiment-tracker.js'
import type { JsonValue } from './json-value.js'
import type { Logger } from './logger.js'

/** Metadata values: JSON values, logged on the step run (and on the model version when there is one). */
export type MetadataValue = JsonValue

/** The model version a step works with (`ctx.model`). */
export interface StepModelContext<TArtifacts extends Record<string, unknown> = Record<string, unknown>> {
  readonly name: string
  /** The version's number, resolved when the run started. */
  readonly number: number
  readonly versionId: string
  /**
   * Loads an artifact linked to this model version by its name.
   * @throws StrataError `MODEL_ARTIFACT_NOT_FOUND` when the version has no artifact of that name
   */
  loadArtifact<TName extends keyof TArtifacts & string>(name: TName): Promise<TArtifacts[TName]>
  logMetadata(metadata: Record<string, MetadataValue>): void
}

/** What a step function receives besides its inputs. */
export interface StepContext<
  TParams = Record<string, unknown>,
  TModelArtifacts extends Record<string, unknown> = Record<string, unknown>,
> {
  readonly params: TParams
  readonly pipelineName: string
  readonly runId: string
  readonly runName: string
  /** The invocation id (`train`, `train_2`). */
  readonly stepName: string
  /** 1 for the first attempt, 2 for the first retry, … */
  readonly attempt: number
  readonly logger: Logger
  /** Aborted when the run is stopped. */
  readonly signal: AbortSignal
  /** Records metadata on this step run (and on the model version, when the step has a model). */
  logMetadata(metadata: Record<string, MetadataValue>): void
  /**
   * The active experiment tracker's run for this step.
   * @throws StrataError `NO_EXPERIMENT_TRACKER` when the step did not opt in or the stack has none
   */
  readonly experimentTracker: StepTracking
  /**
   * The model version of this step or pipeline.
   * @throws StrataError `NO_MODEL` when neither declares a model
   */
  readonly model: StepModelContext<TModelArtifacts>
}
