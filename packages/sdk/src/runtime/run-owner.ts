import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'
import type { RunOwner, RunRecord, RunRepository } from '@strata/store'

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
 * Whether the process that owns a run is provably gone: it ran on this host and no process with its pid
 * exists, or the pid now belongs to a process that started later (a reused pid). `false` means alive or
 * unknown (another host): then only the lease decides.
 */
export function ownerIsGone(owner: RunOwner): boolean {
  if (owner.host !== hostname()) return false
  try {
    process.kill(owner.pid, 0)
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH'
  }
  const started = linuxProcessStart(owner.pid)
  if (started === undefined) return false
  // Clock ticks and the recorded start differ by rounding; a reused pid started much later.
  return Math.abs(started - Date.parse(owner.startedAt)) > 5_000
}

/** Why a still-active run should be marked failed, or `undefined` while it is healthy. */
export function abandonedReason(run: RunRecord, now: number = Date.now()): string | undefined {
  if (ownerIsGone(run.owner)) {
    return `the process that ran it (pid ${run.owner.pid} on ${run.owner.host}) is gone — resume it with 'strata pipeline runs resume ${run.name}'`
  }
  if (now - Date.parse(run.heartbeatAt) > run.leaseMs) {
    return `its owner stopped reporting (no heartbeat for ${Math.round((now - Date.parse(run.heartbeatAt)) / 1000)} s, lease ${run.leaseMs / 1000} s) — resume it with 'strata pipeline runs resume ${run.name}'`
  }
  return undefined
}

/** Marks runs whose owner is provably gone, or whose lease expired, as failed. Healthy runs are untouched. */
export function reconcileAbandonedRuns(environment: { repositories: { runs: RunRepository } }): void {
  for (const run of environment.repositories.runs.active()) {
    const reason = abandonedReason(run)
    if (reason) environment.repositories.runs.markAbandoned(run.id, `run abandoned: ${reason}`)
  }
}
