import {
  type ArtifactStoreHost,
  type ExperimentTrackerV1,
  isStrataError,
  type PipelineSnapshot,
} from '@strata/core'
import type { StepDefinition } from '../dsl/step.js'
import type { Materializer } from '../materializers/materializer.js'
import type { RunRecorder } from '../recording/run-events.js'
import type { ArtifactVersionInfo } from './artifact-io.js'

/** What the step runner needs from whoever hosts it (the client in-process, or a step process). */
export interface StepRunnerHost {
  snapshot: PipelineSnapshot
  store: ArtifactStoreHost
  recorder: RunRecorder
  /** The step's definition (function, hooks, materializers). */
  definition(stepId: string): StepDefinition
  /** The artifact versions feeding the step's inputs. */
  inputs(stepId: string): Promise<Record<string, ArtifactVersionInfo>>
  /**
   * A completed earlier execution with this cache key, with its outputs (by output name: the version id, and
   * the version); absent where the metadata store is out of reach.
   */
  findCached?(cacheKey: string): Promise<
    | {
        stepRunId: string
        outputs: Record<string, string>
        artifacts: Record<string, ArtifactVersionInfo>
      }
    | undefined
  >
  /** Pipeline-level materializers. */
  materializers: readonly Materializer[]
  /** The stack's experiment tracker, created on first use. */
  experimentTracker?(): Promise<ExperimentTrackerV1 | undefined>
  /**
   * The artifacts linked to a model version now (in-process, from the store). Without it, steps see the
   * artifacts linked when the run started (from the snapshot).
   */
  modelArtifacts?(versionId: string): Promise<Record<string, ArtifactVersionInfo>>
  /** Echo step log lines to the terminal. */
  echo?: (line: string) => void
  /** Replaces secret values in messages and logs. */
  redact?: (text: string) => string
}

/**
 * A step's error as it is recorded: the message, which says what failed. A built-in class name says
 * something too (`TypeError: x is not a function`) and stays; `StrataError` (and `Error`) would only be
 * noise in front of a message that already names the problem and its fix.
 */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  if (isStrataError(error) || !error.name || error.name === 'Error' || error.name === 'StrataError')
    return error.message
  return `${error.name}: ${error.message}`
}
