// An active run is protected: deleting it would pull its record from under the process (or remote
// orchestrator) still writing to it. `delete` refuses it with the fix; `--force` stops it first and waits.
import { setTimeout as sleep } from 'node:timers/promises'
import { StrataError } from '@strata/core'
import type { RunRecord, RunRepository } from '@strata/store'
import { ownerState, reconcileAbandonedRuns } from '../run/run-owner.js'

/**
 * How long a forced delete waits for a local run to end after asking its owner to stop: the local
 * orchestrator gives step processes 5 s to journal their stop before it kills them, then collects them and
 * ends the run; three times that leaves room on a loaded machine. An owner that has not ended the run by
 * then is killed (SIGKILL), and the run is failed as abandoned once it is provably gone.
 */
const STOP_WAIT_MS = 15_000
/** How long a killed owner may take to disappear from the process table. */
const KILL_WAIT_MS = 5_000
const POLL_MS = 100

export function isActive(run: RunRecord): boolean {
  return run.status === 'running' || run.status === 'initializing'
}

/** The refusal to delete an active run, with who carries it and the two ways out. */
export function activeRunError(run: RunRecord): StrataError {
  const carrier = run.remote
    ? `orchestrator '${run.remote.orchestrator}' carries it`
    : `pid ${run.owner.pid} on ${run.owner.host} runs it`
  return new StrataError(
    'RUN_ACTIVE',
    `run ${run.name} is ${run.status} (${carrier}) — deleting it would pull its record from under it; stop it first ('strata pipeline runs stop ${run.name}'), or pass --force to stop it and delete it once it ended`,
  )
}

interface StoppableClient {
  repositories: { runs: RunRepository }
  stopRun(reference: string, options?: { force?: boolean }): Promise<RunRecord>
}

/**
 * The run as it is once no process carries it any more: a run whose owner is gone is failed as
 * abandoned first; an active one is refused — or, with `force`, stopped and waited for.
 * @throws StrataError `RUN_ACTIVE`; with `force`, `RUN_OWNER_ELSEWHERE` (an owner this host cannot signal)
 *   or `STOP_UNSUPPORTED` from stopping it
 */
export async function settleActiveRun(
  client: StoppableClient,
  reference: string,
  force: boolean,
): Promise<RunRecord> {
  const { runs } = client.repositories
  await reconcileAbandonedRuns(client)
  const run = await runs.require(reference)
  if (!isActive(run)) return run
  if (!force) throw activeRunError(run)
  if (run.remote) {
    // The orchestrator is told to stop at once; the run is then marked stopped.
    await client.stopRun(run.id, { force: true })
    return runs.require(run.id)
  }
  await client.stopRun(run.id)
  const ended = await waitUntil(() => endedOrGone(client, run.id), STOP_WAIT_MS)
  if (ended) return ended
  await client.stopRun(run.id, { force: true }).catch(() => undefined)
  const gone = await waitUntil(() => endedOrGone(client, run.id), KILL_WAIT_MS)
  if (gone) return gone
  throw new StrataError(
    'RUN_STILL_RUNNING',
    `run ${run.name} did not stop: its owner (pid ${run.owner.pid}) was asked to stop and then killed, and it is still there — find out what holds it ('ps -p ${run.owner.pid}'), then delete the run again`,
  )
}

/** The run once it ended (its owner stopped it, or it is provably gone and the run failed), else undefined. */
async function endedOrGone(client: StoppableClient, runId: string): Promise<RunRecord | undefined> {
  await reconcileAbandonedRuns(client)
  const run = await client.repositories.runs.require(runId)
  if (isActive(run)) return undefined
  // Its owner may still be finishing (hooks, closing its tracker): give it until it exits, or the bound.
  if (ownerState(run.owner) === 'alive') return (await waitUntil(() => ownerExited(run), 2_000)) ?? run
  return run
}

async function ownerExited(run: RunRecord): Promise<RunRecord | undefined> {
  return ownerState(run.owner) === 'alive' ? undefined : run
}

async function waitUntil<T>(probe: () => Promise<T | undefined>, boundMs: number): Promise<T | undefined> {
  const deadline = Date.now() + boundMs
  for (;;) {
    const found = await probe()
    if (found !== undefined || Date.now() >= deadline) return found
    await sleep(POLL_MS)
  }
}
