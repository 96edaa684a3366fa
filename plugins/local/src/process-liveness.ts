import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'

let tag: string | undefined

/**
 * This machine, in eight hex digits: names that carry it are judged only on the machine that made them.
 * Computed on first use: loading node:crypto costs a read-only command (`strata pipeline runs logs`, which
 * opens the store but writes nothing) a tenth of its start-up budget.
 */
export function hostTag(): string {
  tag ??= process
    .getBuiltinModule('node:crypto')
    .createHash('sha256')
    .update(hostname())
    .digest('hex')
    .slice(0, 8)
  return tag
}

/** Clock ticks and a recorded start differ by rounding; a reused pid started much later. */
const START_TOLERANCE_MS = 5_000

/**
 * When the process with `pid` started (ms since the epoch): `null` when no process has that pid,
 * `undefined` when this machine cannot tell (no `/proc`).
 */
function processStartedAt(pid: number): number | null | undefined {
  try {
    process.kill(pid, 0)
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return null
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Field 22 (starttime, in clock ticks since boot) follows the parenthesised command name.
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19])
    const bootTime = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1])
    if (!Number.isFinite(ticks) || !Number.isFinite(bootTime)) return undefined
    return (bootTime + ticks / 100) * 1000
  } catch {
    return undefined
  }
}

/** This process's start, in whole seconds (what temporary names record). */
export const STARTED_SECONDS = Math.round(
  (processStartedAt(process.pid) ?? Date.now() - process.uptime() * 1000) / 1000,
)

/** Whether a process is still the one that made something. */
export type WriterState = 'alive' | 'gone' | 'unknown'

/** The process `pid` that started at `startedSeconds` on the machine tagged `machine`, as this machine sees it. */
export function writerState(pid: number, startedSeconds: number, machine: string): WriterState {
  if (machine !== hostTag()) return 'unknown'
  const started = processStartedAt(pid)
  if (started === null) return 'gone'
  if (started === undefined) return 'unknown'
  return Math.abs(started - startedSeconds * 1000) > START_TOLERANCE_MS ? 'gone' : 'alive'
}

/** The process `pid`, which was alive when something was made at `madeAtMs` (a folder it created). */
export function makerState(pid: number, madeAtMs: number): WriterState {
  const started = processStartedAt(pid)
  if (started === null) return 'gone'
  if (started === undefined) return 'unknown'
  // A process that started after the thing was made did not make it: the pid was reused.
  return started > madeAtMs + START_TOLERANCE_MS ? 'gone' : 'alive'
}
