import type { JsonObject, PipelineSnapshot } from '@strata/core'
import type { ScheduleRecord } from '@strata/store'
import { remoteKeys } from '../process/remote-plan.js'
import { runKeys } from '../recording/journal.js'
import type { RunEnvironment } from './run-environment.js'

/** A scheduled run's lease: it has no local owner to renew it; its orchestrator answers for it. */
const SCHEDULED_LEASE_MS = 60_000

/**
 * Records the runs that `schedule`'s ticks started and the store has not seen yet (each tick marks its run
 * under `schedules/<id>/runs/` in the artifact store): they become active runs that a remote orchestrator
 * carries, which `runs sync` then follows and settles.
 * @returns the ids of the runs it recorded
 */
export async function discoverScheduledRuns(
  environment: RunEnvironment,
  schedule: ScheduleRecord,
): Promise<string[]> {
  const { repositories, artifactStore } = environment
  const found: string[] = []
  const prefix = remoteKeys.scheduleRun(schedule.id, '')
  for await (const entry of artifactStore.listAll(prefix)) {
    const runId = entry.key.slice(prefix.length)
    if (!runId || (await repositories.runs.find(runId))) continue
    const snapshot = JSON.parse(await artifactStore.readText(runKeys.snapshot(runId))) as PipelineSnapshot
    const handle = (await artifactStore.exists(remoteKeys.handle(runId)))
      ? (JSON.parse(await artifactStore.readText(remoteKeys.handle(runId))) as JsonObject)
      : {}
    await repositories.transaction(async (tx) => {
      await tx.runs.create({
        id: runId,
        name: snapshot.runName,
        pipelineName: snapshot.pipeline.name,
        stackName: schedule.stackName,
        artifactStoreUri: artifactStore.uri,
        snapshot,
        parameters: snapshot.pipeline.parameters,
        owner: { host: `schedule:${schedule.name}`, pid: 0, startedAt: snapshot.createdAt },
        leaseMs: SCHEDULED_LEASE_MS,
        scheduleId: schedule.id,
      })
      await tx.runs.setRemote(runId, { orchestrator: schedule.orchestrator, handle })
      await tx.runs.setStatus(runId, 'running')
    })
    found.push(runId)
  }
  return found
}
