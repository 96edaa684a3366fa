import type {
  ArtifactRepository,
  ModelArtifactKind,
  ModelRepository,
  RunRepository,
  SqliteStore,
} from '@strata/store'
import type { RunEvent, RunRecorder } from './run-events.js'
import { stepRunIdOf } from './step-run-id.js'

export interface RunRepositories {
  store: SqliteStore
  runs: RunRepository
  artifacts: ArtifactRepository
  models: ModelRepository
}

/** How an output of a given artifact kind is linked to a model version. */
export function modelLinkKind(kind: string): ModelArtifactKind {
  if (kind === 'model') return 'model'
  if (kind === 'deployment' || kind === 'service') return 'deployment'
  return 'data'
}

/**
 * Applies one run event to the store, in one transaction. Idempotent and order-preserving: applying a
 * journal twice leaves the same rows (ids come from the events).
 */
export function applyRunEvent(repositories: RunRepositories, runId: string, event: RunEvent): void {
  repositories.store.transaction(() => applyInTransaction(repositories, runId, event))
}

/** Applies events in order, in one transaction: all of them or, on a failure, none. */
export function applyRunEvents(
  repositories: RunRepositories,
  runId: string,
  events: readonly RunEvent[],
): void {
  if (events.length === 0) return
  repositories.store.transaction(() => {
    for (const event of events) applyInTransaction(repositories, runId, event)
  })
}

function applyInTransaction(repositories: RunRepositories, runId: string, event: RunEvent): void {
  const { runs, artifacts, models } = repositories
  // Whichever event creates the step run's row gives it the id the step runner derived.
  const upsertStepRun = (update: Parameters<RunRepository['upsertStepRun']>[2]): string =>
    runs.upsertStepRun(runId, event.step, { id: stepRunIdOf(runId, event.step), ...update })
  switch (event.type) {
    case 'step_started':
      upsertStepRun({
        step: event.stepName,
        status: 'running',
        attempts: event.attempt,
        startedAt: event.at,
        ...(event.cacheKey === undefined ? {} : { cacheKey: event.cacheKey }),
        ...(event.cacheParts === undefined ? {} : { cacheParts: event.cacheParts }),
      })
      return
    case 'step_retrying':
      upsertStepRun({
        status: 'retrying',
        attempts: event.attempt,
        error: event.error,
      })
      return
    case 'inputs_used': {
      const stepRunId = upsertStepRun({})
      for (const [name, versionId] of Object.entries(event.inputs))
        runs.linkArtifact(stepRunId, 'input', name, versionId)
      return
    }
    case 'artifact_saved': {
      const stepRunId = upsertStepRun({})
      const version = artifacts.createVersion({
        ...event.artifact,
        producerStepRunId: stepRunId,
        saveType: 'step_output',
      })
      runs.linkArtifact(stepRunId, 'output', event.output, version.id)
      if (event.modelVersionId)
        models.linkArtifact(event.modelVersionId, version.id, modelLinkKind(event.artifact.kind))
      return
    }
    case 'step_cached': {
      const stepRunId = upsertStepRun({
        step: event.stepName,
        status: 'cached',
        cacheKey: event.cacheKey,
        cacheParts: event.cacheParts,
        cachedFrom: event.cachedFrom,
        startedAt: event.at,
        endedAt: event.at,
        error: null,
      })
      for (const [name, versionId] of Object.entries(event.inputs))
        runs.linkArtifact(stepRunId, 'input', name, versionId)
      // The execution it reuses logged metadata: it belongs to this step run (and model version) too.
      const reused = runs.metadata('step_run', event.cachedFrom)
      if (Object.keys(reused).length > 0) {
        runs.addMetadata('step_run', stepRunId, reused, `${event.id}:reused`)
        if (event.modelVersionId) {
          runs.addMetadata('model_version', event.modelVersionId, reused, `${event.id}:reused-model`)
        }
      }
      for (const [name, versionId] of Object.entries(event.outputs)) {
        runs.linkArtifact(stepRunId, 'output', name, versionId)
        // A cached output still belongs to this run's model version.
        if (event.modelVersionId) {
          models.linkArtifact(
            event.modelVersionId,
            versionId,
            modelLinkKind(artifacts.requireVersionById(versionId).kind),
          )
        }
      }
      return
    }
    case 'step_completed':
      upsertStepRun({
        status: 'completed',
        attempts: event.attempts,
        endedAt: event.at,
        error: null,
        ...(event.logKey ? { logKey: event.logKey } : {}),
      })
      return
    case 'step_failed':
      upsertStepRun({
        status: event.status,
        attempts: event.attempts,
        endedAt: event.at,
        error: event.error,
        ...(event.logKey ? { logKey: event.logKey } : {}),
      })
      return
    case 'metadata': {
      const stepRunId = upsertStepRun({})
      if (!event.modelOnly) runs.addMetadata('step_run', stepRunId, event.values, event.id)
      if (event.modelVersionId)
        runs.addMetadata('model_version', event.modelVersionId, event.values, `${event.id}:model`)
      return
    }
  }
}

/**
 * Records into the metadata store (in-process steps). Events queue until `flush()`, which applies them in
 * one transaction: the step runner flushes when a step starts and when it ends, so a step costs two commits,
 * not one per event, and an artifact version's row (its commit point) lands with its step's outcome.
 */
export class StoreRecorder implements RunRecorder {
  readonly #repositories: RunRepositories
  readonly #runId: string
  readonly #pending: RunEvent[] = []

  constructor(repositories: RunRepositories, runId: string) {
    this.#repositories = repositories
    this.#runId = runId
  }

  record(event: RunEvent): void {
    this.#pending.push(event)
  }

  async flush(): Promise<void> {
    this.flushNow()
  }

  /** Applies the queued events now, in one transaction. */
  flushNow(): void {
    const batch = this.#pending.splice(0)
    try {
      applyRunEvents(this.#repositories, this.#runId, batch)
    } catch (error) {
      // Nothing was applied (one transaction): keep the events for the next flush, which reports again.
      this.#pending.unshift(...batch)
      throw error
    }
  }
}
