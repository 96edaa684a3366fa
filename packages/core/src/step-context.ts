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

/**
 * What a step function receives besides its inputs. `TTracking` is what `experimentTracker` holds:
 * `StepTracking` for a step that declares its tracker (`experimentTracker: true` or a name), else
 * `StepTracking | undefined`.
 */
export interface StepContext<
  TParams = Record<string, unknown>,
  TModelArtifacts extends Record<string, unknown> = Record<string, unknown>,
  TTracking extends StepTracking | undefined = StepTracking | undefined,
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
   * The experiment tracker's run for this step: present when the step opted in — in its declaration (then
   * always: the run refuses a stack without the tracker), or through its pipeline or a run config —
   * `undefined` otherwise. Never throws.
   */
  readonly experimentTracker: TTracking
  /**
   * The model version of this step or pipeline.
   * @throws StrataError `NO_MODEL` when neither declares a model
   */
  readonly model: StepModelContext<TModelArtifacts>
}
