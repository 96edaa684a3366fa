// Not `import ... from 'node:fs'`: building that ESM facade loads fs/promises (~3 ms); see sqlite-store.ts.
const { readFileSync, statSync } = process.getBuiltinModule('node:fs')

/** A process that has a store open: SQLite holds POSIX locks on the database and its `-shm` file. */
export interface LockHolder {
  pid: number
  /** Its command line, when this user may read it. */
  command: string | undefined
}

/** `major:minor:inode` as /proc/locks writes a file's identity (major and minor in hex). */
function lockIdentity(path: string): string | undefined {
  const stat = statSync(path, { bigint: true, throwIfNoEntry: false })
  if (!stat) return undefined
  // glibc's dev_t: the major number in bits 8–19 and 32–63, the minor in bits 0–7 and 20–31.
  const major = ((stat.dev >> 8n) & 0xfffn) | ((stat.dev >> 32n) & ~0xfffn)
  const minor = (stat.dev & 0xffn) | ((stat.dev >> 12n) & ~0xffn)
  return `${major.toString(16)}:${minor.toString(16)}:${stat.ino}`
}

/**
 * What a process runs, enough to recognise it: the program and the words before its first option
 * (`node strata.mjs pipeline run train.ts`). Options are left out because their values may be secrets
 * (`strata secret create s --token=...`), and this text ends up in another command's error.
 */
function commandOf(pid: number): string | undefined {
  let words: string[]
  try {
    words = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean)
  } catch {
    return undefined
  }
  const firstOption = words.findIndex((word, index) => index > 0 && word.startsWith('-'))
  const shown = (firstOption === -1 ? words : words.slice(0, firstOption))
    .slice(0, 6)
    .map((word) => word.slice(word.lastIndexOf('/') + 1).slice(0, 60))
  return shown.length > 0 ? shown.join(' ') : undefined
}

/**
 * The other processes that have the store at `path` open (or wait for its locks), read from Linux's
 * /proc/locks; `undefined` where that cannot be read (another system), `[]` when none has.
 */
export function lockHolders(path: string): LockHolder[] | undefined {
  let table: string
  try {
    table = readFileSync('/proc/locks', 'utf8')
  } catch {
    return undefined
  }
  const files = new Set(
    [path, `${path}-shm`, `${path}-wal`].map(lockIdentity).filter((id): id is string => id !== undefined),
  )
  const pids = new Set<number>()
  // `1: POSIX  ADVISORY  READ 29956 fe:00:9978714 128 128`, or `1: -> POSIX ...` for a waiter.
  for (const line of table.split('\n')) {
    const fields = line.replace('->', '').trim().split(/\s+/)
    const pid = Number(fields[4])
    const file = fields[5]
      ?.split(':')
      .map((part, index) => (index < 2 ? Number.parseInt(part, 16).toString(16) : part))
      .join(':')
    if (file && files.has(file) && Number.isInteger(pid) && pid > 0 && pid !== process.pid) pids.add(pid)
  }
  return [...pids].sort((a, b) => a - b).map((pid) => ({ pid, command: commandOf(pid) }))
}

/** `process 123 (node strata.mjs pipeline run …)` and the like, or `undefined` when none is known. */
export function describeHolders(holders: readonly LockHolder[] | undefined): string | undefined {
  if (!holders || holders.length === 0) return undefined
  const named = holders.map(
    (holder) => `process ${holder.pid}${holder.command ? ` (${holder.command})` : ''}`,
  )
  return named.length === 1 ? named[0] : `${named.slice(0, -1).join(', ')} and ${named.at(-1)}`
}
