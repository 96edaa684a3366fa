import { hostname } from 'node:os'
import type { RunOwner, RunRecord, RunRepository } from '@strata/store'

// Not `import ... from 'node:fs'`: building that ESM facade loads fs/promises (~3 ms), a tenth of the
// start-up budget of the CLI's read-only commands; getBuiltinModule hands over the already-loaded module.
const { readFileSync } = process.getBuiltinModule('node:fs')

const STARTED_AT = new Date(Date.now() - process.uptime() * 1000).toISOString()

/** This process as the owner of a run. */
export function currentOwner(): RunOwner {
  return { host: hostname(), pid: process.pid, startedAt: STARTED_AT }
}

function linuxProcessStart(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Field 22 (starttime, in clock ticks since boot) follows the parenthesised command name.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const ticks = Number(fields[19])
    const bootTime = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1])
    if (!Number.isFinite(ticks) || !Number.isFinite(bootTime)) return undefined
    return (bootTime + ticks / 100) * 1000
  } catch {
    return undefined
  }
}

/**
 * What this machine can prove about a run's owner:
 * - `gone`: it ran on this host and no process has its pid, or the pid belongs to a process that started
 *   later (a reused pid);
 * - `alive`: it runs on this host and the process with its pid started when the owner did;
 * - `unknown`: another host, or no way to read a process's start time here (not Linux).
 */
export type OwnerState = 'gone' | 'alive' | 'unknown'

/** Clock ticks and the recorded start differ by rounding; a reused pid started much later. */
const START_TOLERANCE_MS = 5_000

export function ownerState(owner: RunOwner): OwnerState {
  if (owner.host !== hostname()) return 'unknown'
  try {
    process.kill(owner.pid, 0)
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return 'gone'
  }
  const started = linuxProcessStart(owner.pid)
  if (started === undefined) return 'unknown'
  return Math.abs(started - Date.parse(owner.startedAt)) > START_TOLERANCE_MS ? 'gone' : 'alive'
}

/**
 * Why a still-active run should be marked failed, or `undefined` while it may be healthy. An owner this
 * host proves alive keeps its run even with an expired lease: a synchronous step that blocks the event
 * loop stops the heartbeat, not the run. The lease decides only where liveness cannot be proven.
 */
export function abandonedReason(run: RunRecord, now: number = Date.now()): string | undefined {
  // A remote orchestrator owns the run: only it can say the run is gone (`runs sync` asks it).
  if (run.remote) return undefined
  const state = ownerState(run.owner)
  if (state === 'gone') {
    return `the process that ran it (pid ${run.owner.pid} on ${run.owner.host}) is gone — resume it with 'strata pipeline runs resume ${run.name}'`
  }
  if (state === 'unknown' && now - Date.parse(run.heartbeatAt) > run.leaseMs) {
    return `its owner stopped reporting (no heartbeat for ${Math.round((now - Date.parse(run.heartbeatAt)) / 1000)} s, lease ${run.leaseMs / 1000} s) — resume it with 'strata pipeline runs resume ${run.name}'`
  }
  return undefined
}

/** How the error of a run (and of its unfinished steps) marked failed for a gone owner begins. */
export const ABANDONED = 'run abandoned: '

/** Marks runs whose owner is provably gone, or whose lease expired, as failed. Healthy runs are untouched. */
export async function reconcileAbandonedRuns(environment: {
  repositories: { runs: RunRepository }
}): Promise<void> {
  for (const run of await environment.repositories.runs.active()) {
    const reason = abandonedReason(run)
    if (reason) await environment.repositories.runs.markAbandoned(run.id, `${ABANDONED}${reason}`)
  }
}
