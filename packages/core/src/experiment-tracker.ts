import type { JsonObject, JsonValue } from './json-value.js'

export interface TrackedPipelineRun {
  pipelineName: string
  runId: string
  runName: string
}

export interface TrackedStepRun extends TrackedPipelineRun {
  /** The step's invocation id within the pipeline. */
  stepName: string
  /**
   * The step run's id in the metadata store, known before its row exists (also in step processes). Absent
   * when a runtime older than this field starts the step.
   */
  stepRunId?: string
  /** What {@link ExperimentTrackerV1.startPipelineRun} returned, carried to every step (also to step processes). */
  pipelineState?: JsonValue
  /**
   * The step's settings for the tracker's flavor: the `experiment_tracker.<flavor>` entry of the step's
   * merged settings (run config > step > pipeline), when there is one.
   */
  settings?: JsonObject
}

export interface PipelineTracking {
  /** Serializable state the step processes need (e.g. the parent run's id); stored in the run's snapshot. */
  state: JsonValue
  /** Ends the pipeline-level run with the pipeline's outcome. */
  end(status: 'completed' | 'failed'): Promise<void>
}

/** What a step sees as `ctx.experimentTracker`. Logging calls may be batched; `end` flushes them. */
export interface StepTracking {
  /** The tracker's id for this step's run. */
  readonly runId: string
  /** A link to this step's run in the tracker's UI, when it has one. */
  readonly runUrl: string | undefined
  logParams(params: Record<string, string | number | boolean>): void
  logMetric(key: string, value: number, step?: number): void
  logMetrics(metrics: Record<string, number>, step?: number): void
  setTags(tags: Record<string, string>): void
  /** Uploads a file (by path) or bytes as an artifact of this step's run. */
  logArtifact(source: string | Uint8Array, name: string): Promise<void>
  /**
   * Flushes pending calls and ends the tracker's run; called once by the step runner.
   * Resolves with metadata recorded on the Strata step run (e.g. the tracker's run id and URL).
   * @throws StrataError when pending data could not be delivered (the step then fails)
   */
  end(status: 'completed' | 'failed'): Promise<JsonObject>
}

/** Version 1 of the experiment tracker contract. */
export interface ExperimentTrackerV1 {
  readonly apiVersion: 1
  /** Capability: a parent run per pipeline run, opened by the client before any step starts. */
  startPipelineRun?(run: TrackedPipelineRun): Promise<PipelineTracking>
  /** Opens tracking for one step that opted in (`experimentTracker: true`). */
  startStep(step: TrackedStepRun): Promise<StepTracking>
  /** Capability: checks the tracker is reachable with its credentials (`strata stack validate`). */
  verify?(): Promise<void>
  close?(): Promise<void>
}
