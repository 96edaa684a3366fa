import type { ArtifactStoreHost, ArtifactVersionInfo, OrchestratorRunResult } from '@strata/core'
import type { CacheParts } from '../cache/cache-key.js'

/**
 * What the client stages for the driver of a remote run besides the snapshot: everything the driver would
 * otherwise ask the metadata store, which it cannot reach. Holds no secret.
 */
export interface RemotePlan {
  /** Steps the client resolved from the cache before submitting, with their outputs. */
  cached: Record<string, { outputs: Record<string, ArtifactVersionInfo> }>
  /** Each cache-enabled step's cache key parts but its inputs (the driver adds their digests). */
  cacheParts: Record<string, Omit<CacheParts, 'inputs'>>
  /** Earlier executions a step may reuse, by cache key: only those whose parts can still match. */
  cacheIndex: Record<string, { stepRunId: string; outputs: Record<string, ArtifactVersionInfo> }>
  /** The artifact versions that `artifact()` inputs name, by id. */
  artifacts: Record<string, ArtifactVersionInfo>
}

/** Where a remote run's own files live in its artifact store (beside the snapshot and journals). */
export const remoteKeys = {
  plan: (runId: string) => `runs/${runId}/remote/plan.json`,
  result: (runId: string) => `runs/${runId}/remote/result.json`,
  handle: (runId: string) => `runs/${runId}/remote/handle.json`,
  /** A schedule's template: snapshot, plan and code bundle, copied into a fresh run at each tick. */
  schedule: (scheduleId: string) => `schedules/${scheduleId}/`,
  scheduleSnapshot: (scheduleId: string) => `schedules/${scheduleId}/snapshot.json`,
  schedulePlan: (scheduleId: string) => `schedules/${scheduleId}/plan.json`,
  scheduleBundle: (scheduleId: string) => `schedules/${scheduleId}/code/bundle.mjs`,
  /** One empty object per run a schedule started, so `runs sync` can find them. */
  scheduleRun: (scheduleId: string, runId: string) => `schedules/${scheduleId}/runs/${runId}`,
}

/** The run's end as its driver recorded it, once it has. */
export async function readRemoteResult(
  store: ArtifactStoreHost,
  runId: string,
): Promise<OrchestratorRunResult | undefined> {
  const key = remoteKeys.result(runId)
  if (!(await store.exists(key))) return undefined
  return JSON.parse(await store.readText(key)) as OrchestratorRunResult
}
