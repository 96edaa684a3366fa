import type { PipelineSnapshot } from '@strata/core'
import type { RunRecord, RunStatus, StoreRepositories } from '@strata/store'
import { ingestJournal } from '../recording/journal.js'
import type { RunEnvironment } from './run-environment.js'
import { failedStepsError } from './run-outcome.js'
import { ABANDONED, reconcileAbandonedRuns } from './run-owner.js'
import { type SyncRemoteOptions, syncRemoteRun } from './sync-remote.js'

/**
 * Ingests the journals step processes wrote for a run (idempotent), then settles a run that has ended
 * (failed or stopped) by its steps: all completed or cached makes it completed; otherwise it stays failed
 * or stopped, with an error that names what to do. What `strata pipeline runs sync` does after the
 * client that started the run went away. A run whose owner is still alive is left to that owner.
 * @returns the number of events applied
 * @throws StrataError `RUN_NOT_FOUND`
 */
export async function syncRun(
  environment: RunEnvironment,
  reference: string,
  options: SyncRemoteOptions = {},
): Promise<number> {
  const { runs } = environment.repositories
  // A run whose owner is gone is marked failed first, so that it can be settled now.
  await reconcileAbandonedRuns(environment)
  // What killed runs left on this machine (step folders) goes too; a failure here is not the sync's.
  await environment.orchestrator.reclaim?.().catch(() => [])
  const run = await runs.require(reference)
  const snapshot = await runs.snapshot<PipelineSnapshot>(run.id)
  if (run.remote && (run.status === 'running' || run.status === 'initializing'))
    return syncRemoteRun(environment, run, snapshot, options)
  let events = 0
  for (const step of snapshot.steps) {
    events += (await ingestJournal(environment.repositories, environment.artifactStore, run.id, step.id))
      .length
  }
  await settleRun(environment.repositories, await runs.require(run.id), snapshot)
  return events
}

const DONE = new Set(['completed', 'cached'])
const UNFINISHED = new Set(['initializing', 'running', 'retrying'])

/** The status and error of an ended run, derived from its steps (see {@link syncRun}). */
async function settleRun(
  repositories: StoreRepositories,
  run: RunRecord,
  snapshot: PipelineSnapshot,
): Promise<void> {
  if (run.status !== 'failed' && run.status !== 'stopped') return
  await repositories.transaction(async ({ runs }) => {
    const steps = new Map((await runs.stepRuns(run.id)).map((step) => [step.name, step]))
    const rows = snapshot.steps.map((step) => steps.get(step.id))
    if (rows.every((row) => row !== undefined && DONE.has(row.status))) {
      // It ended when its last step did.
      const endedAt = rows.reduce(
        (last, row) => (row?.endedAt && row.endedAt > last ? row.endedAt : last),
        '',
      )
      await runs.settle(run.id, 'completed', {
        error: null,
        endedAt: endedAt || run.endedAt || new Date().toISOString(),
      })
      return
    }
    // A journal that ends with the step still running: its process died before it journaled an outcome.
    // The step ended with its run, failed as the abandonment had marked it.
    const abandoned = run.error?.startsWith(ABANDONED)
      ? run.error
      : `${ABANDONED}its step process ended without journaling an outcome — resume it with 'strata pipeline runs resume ${run.name}'`
    for (const row of rows) {
      if (row && UNFINISHED.has(row.status)) {
        await runs.upsertStepRun(run.id, row.name, {
          status: 'failed',
          error: row.error?.startsWith(ABANDONED) ? row.error : abandoned,
          endedAt: run.endedAt ?? row.startedAt,
        })
      }
    }
    const settled = await runs.stepRuns(run.id)
    // Steps failed by the abandonment say so; the others failed on their own.
    const failed = settled
      .filter((row) => row.status === 'failed' && !row.error?.startsWith(ABANDONED))
      .map((row) => row.name)
    const stopped = settled.filter((row) => row.status === 'stopped').map((row) => row.name)
    let status: RunStatus = 'failed'
    let error = run.error ?? abandoned
    if (failed.length > 0) error = failedStepsError(run.name, failed)
    else if (stopped.length > 0) {
      status = 'stopped'
      error = `step${stopped.length > 1 ? 's' : ''} ${stopped.join(', ')} stopped — finish the run with 'strata pipeline runs resume ${run.name}'`
    }
    await runs.settle(run.id, status, { error })
  })
}
