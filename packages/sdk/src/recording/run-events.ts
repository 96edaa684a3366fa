import type { JsonObject } from '@strata/core'
import type { ArtifactVersionInfo } from '../step/artifact-io.js'

/**
 * What a run records, as events: applied straight to the store in-process, or appended to a journal in
 * the artifact store by a step process and ingested (idempotently, in order) by the client later.
 */
export type RunEvent =
  | {
      type: 'step_started'
      id: string
      step: string
      stepName: string
      attempt: number
      at: string
      cacheKey?: string
      cacheParts?: JsonObject
    }
  | { type: 'step_retrying'; id: string; step: string; attempt: number; error: string; at: string }
  | { type: 'inputs_used'; id: string; step: string; inputs: Record<string, string> }
  | {
      type: 'artifact_saved'
      id: string
      step: string
      output: string
      artifact: ArtifactVersionInfo
      /** Links the artifact to this model version, by its kind. */
      modelVersionId?: string
    }
  | {
      type: 'step_cached'
      id: string
      step: string
      stepName: string
      at: string
      cacheKey: string
      cacheParts: JsonObject
      cachedFrom: string
      inputs: Record<string, string>
      outputs: Record<string, string>
      /** The reused outputs in full, so a step process downstream can load them with no metadata store. */
      outputArtifacts?: Record<string, ArtifactVersionInfo>
      modelVersionId?: string
    }
  | { type: 'step_completed'; id: string; step: string; attempts: number; at: string; logKey?: string }
  | {
      type: 'step_failed'
      id: string
      step: string
      status: 'failed' | 'stopped'
      attempts: number
      error: string
      at: string
      logKey?: string
    }
  | {
      type: 'metadata'
      id: string
      step: string
      values: JsonObject
      /** Also (or, with `modelOnly`, only) on this model version. */
      modelVersionId?: string
      modelOnly?: boolean
    }

/** Where a step runner sends its events. */
export interface RunRecorder {
  record(event: RunEvent): void
  /** Makes recorded events durable (no-op when they already are). */
  flush(): Promise<void>
}
