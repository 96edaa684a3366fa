import { readdirSync, readlinkSync } from 'node:fs'
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, sep } from 'node:path'
import { makerState, type WriterState } from './process-liveness.js'

const PREFIX = 'strata-step-'
/** `strata-step-<pid of the process that made it>-<random>`; older Strata made `strata-step-<random>`. */
const NAME = /^strata-step-(\d+)-/
/** A folder whose maker cannot be checked is left this long (its step may still run). */
const UNKNOWN_GRACE_MS = 24 * 3_600_000
/** A folder without a maker in its name, that no process uses, is left this long. */
const UNNAMED_GRACE_MS = 3_600_000

/**
 * A fresh working folder for one step process, named after this process (which makes it and waits for
 * the step): when this process is killed, the next run or `runs sync` finds the folder without an owner.
 */
export function createStepFolder(): Promise<string> {
  return mkdtemp(join(tmpdir(), `${PREFIX}${process.pid}-`))
}

/**
 * The folders some process works in (Linux: `/proc/<pid>/cwd`), or `undefined` where this machine cannot
 * tell. A step process killed with its client keeps running in its folder: that folder stays.
 */
function foldersInUse(): Set<string> | undefined {
  let pids: string[]
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name))
  } catch {
    return undefined
  }
  const used = new Set<string>()
  for (const pid of pids) {
    try {
      used.add(readlinkSync(`/proc/${pid}/cwd`))
    } catch {
      // Gone since the listing, or another user's process (it cannot work in our folder).
    }
  }
  return used
}

function inUse(folder: string, used: Set<string>): boolean {
  for (const path of used) if (path === folder || path.startsWith(`${folder}${sep}`)) return true
  return false
}

/**
 * Removes the step folders that killed runs left in the temporary directory: those whose maker is gone
 * and in which no process works any more (a folder whose maker this machine cannot check, after a day;
 * one from an older Strata without a maker in its name, after an hour). Never one in use.
 * @returns the folders removed
 */
export async function reclaimStepFolders(): Promise<string[]> {
  const root = tmpdir()
  const candidates: Array<{ path: string; maker: WriterState; ageMs: number }> = []
  for (const name of await readdir(root).catch(() => [] as string[])) {
    if (!name.startsWith(PREFIX)) continue
    const path = join(root, name)
    const info = await stat(path).catch(() => undefined)
    if (!info?.isDirectory()) continue
    const madeAt = Math.min(info.birthtimeMs || Number.POSITIVE_INFINITY, info.ctimeMs, info.mtimeMs)
    const pid = NAME.exec(name)?.[1]
    const maker = pid === undefined ? 'unknown' : makerState(Number(pid), madeAt)
    if (maker !== 'alive') candidates.push({ path, maker, ageMs: Date.now() - madeAt })
  }
  if (candidates.length === 0) return []
  const used = foldersInUse()
  const removed: string[] = []
  for (const { path, maker, ageMs } of candidates) {
    const named = NAME.test(path.slice(root.length + 1))
    const free = used !== undefined && !inUse(path, used)
    const reclaim =
      (free && maker === 'gone') ||
      (free && !named && ageMs > UNNAMED_GRACE_MS) ||
      (used === undefined && ageMs > UNKNOWN_GRACE_MS)
    if (!reclaim) continue
    await rm(path, { recursive: true, force: true }).catch(() => {})
    removed.push(path)
  }
  return removed
}
