import type { ModelArtifactKind, RunRepository, StoreRepositories, StoreTransaction } from '@strata/store'
import { stepRunIdOf } from '../step/step-run-id.js'
import type { RunEvent, RunRecorder } from './run-events.js'

/** How an output of a given artifact kind is linked to a model version. */
function modelLinkKind(kind: string): ModelArtifactKind {
  if (kind === 'model') return 'model'
  if (kind === 'deployment' || kind === 'service') return 'deployment'
  return 'data'
}

/**
 * Applies one run event to the store, in one transaction. Idempotent and order-preserving: applying a
 * journal twice leaves the same rows (ids come from the events).
 */
export function applyRunEvent(
  repositories: StoreRepositories,
  runId: string,
  event: RunEvent,
): Promise<void> {
  return repositories.transaction((tx) => applyInTransaction(tx, runId, event))
}

/** Applies events in order, in one transaction: all of them or, on a failure, none. */
export async function applyRunEvents(
  repositories: StoreRepositories,
  runId: string,
  events: readonly RunEvent[],
): Promise<void> {
  if (events.length === 0) return
  await repositories.transaction(async (tx) => {
    for (const event of events) await applyInTransaction(tx, runId, event)
  })
}

async function applyInTransaction(tx: StoreTransaction, runId: string, event: RunEvent): Promise<void> {
  const { runs, artifacts, models } = tx
  // Whichever event creates the step run's row gives it the id the step runner derived.
  const upsertStepRun = (update: Parameters<RunRepository['upsertStepRun']>[2]): Promise<string> =>
    runs.upsertStepRun(runId, event.step, { id: stepRunIdOf(runId, event.step), ...update })
  switch (event.type) {
    case 'step_started':
      await upsertStepRun({
        step: event.stepName,
        status: 'running',
        attempts: event.attempt,
        startedAt: event.at,
        ...(event.cacheKey === undefined ? {} : { cacheKey: event.cacheKey }),
        ...(event.cacheParts === undefined ? {} : { cacheParts: event.cacheParts }),
      })
      return
    case 'step_retrying':
      await upsertStepRun({
        status: 'retrying',
        attempts: event.attempt,
        error: event.error,
      })
      return
    case 'inputs_used': {
      const stepRunId = await upsertStepRun({})
      for (const [name, versionId] of Object.entries(event.inputs))
        await runs.linkArtifact(stepRunId, 'input', name, versionId)
      return
    }
    case 'artifact_saved': {
      const stepRunId = await upsertStepRun({})
      const version = await artifacts.createVersion({
        ...event.artifact,
        producerStepRunId: stepRunId,
        saveType: 'step_output',
      })
      await runs.linkArtifact(stepRunId, 'output', event.output, version.id)
      if (event.modelVersionId)
        await models.linkArtifact(event.modelVersionId, version.id, modelLinkKind(event.artifact.kind))
      return
    }
    case 'step_cached': {
      const stepRunId = await upsertStepRun({
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
        await runs.linkArtifact(stepRunId, 'input', name, versionId)
      // The execution it reuses logged metadata: it belongs to this step run (and model version) too.
      const reused = await runs.metadata('step_run', event.cachedFrom)
      if (Object.keys(reused).length > 0) {
        await runs.addMetadata('step_run', stepRunId, reused, `${event.id}:reused`)
        if (event.modelVersionId) {
          await runs.addMetadata('model_version', event.modelVersionId, reused, `${event.id}:reused-model`)
        }
      }
      for (const [name, versionId] of Object.entries(event.outputs)) {
        await runs.linkArtifact(stepRunId, 'output', name, versionId)
        // A cached output still belongs to this run's model version.
        if (event.modelVersionId) {
          await models.linkArtifact(
            event.modelVersionId,
            versionId,
            modelLinkKind((await artifacts.requireVersionById(versionId)).kind),
          )
        }
      }
      return
    }
    case 'step_completed':
      await upsertStepRun({
        status: 'completed',
        attempts: event.attempts,
        endedAt: event.at,
        error: null,
        ...(event.logKey ? { logKey: event.logKey } : {}),
      })
      return
    case 'step_failed':
      await upsertStepRun({
        status: event.status,
        attempts: event.attempts,
        endedAt: event.at,
        error: event.error,
        ...(event.logKey ? { logKey: event.logKey } : {}),
      })
      return
    case 'metadata': {
      const stepRunId = await upsertStepRun({})
      if (!event.modelOnly) await runs.addMetadata('step_run', stepRunId, event.values, event.id)
      if (event.modelVersionId)
        await runs.addMetadata('model_version', event.modelVersionId, event.values, `${event.id}:model`)
      return
    }
  }
}

/**
 * Records into the metadata store (in-process steps). Events queue until `flush()`, which applies them in
 * one transaction: the step runner flushes when a step ends (and when it has run 50 ms, so a longer step
 * shows as running), so a short step costs one commit, not one per event, and an artifact version's row (its
 * commit point) lands with its step's outcome.
 *
 * A flush waits for a store another process holds, up to the store's busy timeout. One that fails even so
 * (the store locked past it, a full disk) does not fail the step: what the step did is still what it did.
 * Its events stay queued, `onFailure` is told once (the run then stops starting steps), later flushes only
 * queue, and the run's last `commit()` tries the store once more.
 */
export class StoreRecorder implements RunRecorder {
  readonly #repositories: StoreRepositories
  readonly #runId: string
  readonly #pending: RunEvent[] = []
  #failure: { error: unknown } | undefined
  /** Told once, with the store's error, when a flush fails. */
  onFailure: ((error: unknown) => void) | undefined

  constructor(repositories: StoreRepositories, runId: string) {
    this.#repositories = repositories
    this.#runId = runId
  }

  record(event: RunEvent): void {
    this.#pending.push(event)
  }

  /** The first failure of a flush, if one failed. */
  get failure(): { error: unknown } | undefined {
    return this.#failure
  }

  /** Applies the queued events in one transaction; after a failed flush, keeps them for `commit()`. */
  async flush(): Promise<void> {
    if (this.#failure) return
    try {
      await this.commit()
    } catch (error) {
      this.#failure = { error }
      this.onFailure?.(error)
    }
  }

  /**
   * Applies every queued event now, in one transaction, also after a failed flush.
   * @throws the store's error; the events stay queued
   */
  async commit(): Promise<void> {
    const batch = this.#pending.splice(0)
    try {
      await applyRunEvents(this.#repositories, this.#runId, batch)
    } catch (error) {
      // Nothing was applied (one transaction): keep the events for the next try.
      this.#pending.unshift(...batch)
      throw error
    }
  }
}
