import type { DatabaseSync } from 'node:sqlite'
import { StrataError } from '@strata/core/base'
import { describeHolders, lockHolders } from './lock-holders.js'
import { STORE_SCHEMA_VERSION } from './migrations.js'
import { sqliteCode, storeError } from './sqlite-errors.js'
import { closeRefused, existingFileUrl, STORE_TABLES, storeVersion } from './store-file.js'

// Not `import ... from 'node:fs'`: see sqlite-store.ts (this module loads only for backup, restore, check).
const { chmodSync, copyFileSync, linkSync, renameSync, rmSync, statSync } =
  process.getBuiltinModule('node:fs')

type Sqlite = typeof import('node:sqlite')

const sqlite = (): Sqlite => process.getBuiltinModule('node:sqlite') as Sqlite

/** Every page in one step: one read transaction, so the copy is one consistent moment of the store. */
const ALL_PAGES = 2 ** 31 - 1

/** What a look at a store file found. */
export interface StoreInspection {
  path: string
  /** False when there is no file (nothing to check: a store is created on first use). */
  exists: boolean
  /** Its schema version (`PRAGMA user_version`), when SQLite could read it. */
  schemaVersion: number | undefined
  /** What is wrong with it, each in a sentence; empty for a healthy store. */
  problems: string[]
}

let temporaries = 0

function temporaryBeside(path: string, what: string): string {
  return `${path}.${what}-${process.pid}-${++temporaries}`
}

function removeFiles(path: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${path}${suffix}`, { force: true })
}

/** The first rows of a pragma that reports problems (integrity_check, foreign_key_check). */
function rows<T>(db: DatabaseSync, sql: string): T[] {
  return db.prepare(sql).all() as T[]
}

/**
 * Looks at a store file with SQLite's integrity check (every page, every index) and what a Strata store
 * must be: SQLite, of a schema version this Strata knows, with the store's tables and consistent references.
 * Reads only: nothing is migrated or repaired. The time it takes grows with the store (it reads all of it).
 * @param options.readOnly open the file read-only (a backup to restore from)
 */
export function inspectStoreFile(path: string, options: { readOnly?: boolean } = {}): StoreInspection {
  const stat = statSync(path, { throwIfNoEntry: false })
  const found: StoreInspection = { path, exists: stat !== undefined, schemaVersion: undefined, problems: [] }
  if (!stat) return found
  if (!stat.isFile()) return { ...found, problems: ['it is not a file'] }
  if (stat.size === 0) return { ...found, problems: ['the file is empty (0 bytes)'] }
  let opened: { db: DatabaseSync; close(): void } | undefined
  try {
    opened = options.readOnly ? openReadOnly(path) : openExisting(path)
    const { db } = opened
    const version = (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version
    found.schemaVersion = version
    const integrity = rows<{ integrity_check: string }>(db, 'PRAGMA integrity_check(20)')
    if (integrity[0]?.integrity_check !== 'ok') {
      found.problems.push(...integrity.map((row) => `integrity check: ${row.integrity_check}`))
      return found
    }
    const known = storeVersion(db)
    if ('problem' in known) {
      found.problems.push(known.problem)
      return found
    }
    if (version > STORE_SCHEMA_VERSION) {
      found.problems.push(
        `its schema version ${version} is newer than this Strata knows (${STORE_SCHEMA_VERSION}) — upgrade Strata to use it`,
      )
      return found
    }
    const tables = new Set(
      rows<{ name: string }>(db, "SELECT name FROM sqlite_master WHERE type = 'table'").map(
        (row) => row.name,
      ),
    )
    const missing = STORE_TABLES.filter((table) => !tables.has(table))
    if (missing.length > 0) found.problems.push(`tables a store has are missing: ${missing.join(', ')}`)
    const orphans = rows<{ table: string; parent: string }>(db, 'PRAGMA foreign_key_check')
    if (orphans.length > 0) {
      const where = [...new Set(orphans.map((row) => `${row.table} → ${row.parent}`))].slice(0, 5)
      found.problems.push(`${orphans.length} rows refer to rows that are gone (${where.join(', ')})`)
    }
  } catch (error) {
    const code = sqliteCode(error)
    if (code === undefined) throw error
    found.problems.push(
      code === 26 ? 'it is not an SQLite database' : `SQLite cannot read it: ${(error as Error).message}`,
    )
  } finally {
    opened?.close()
  }
  return found
}

/** `strata.db.replaced-20261205T123000Z`, or with `-2`, `-3` when that name is taken. */
function replacedName(path: string, now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')
  let candidate = `${path}.replaced-${stamp}`
  for (let n = 2; statSync(candidate, { throwIfNoEntry: false }); n++)
    candidate = `${path}.replaced-${stamp}-${n}`
  return candidate
}

/** Puts `temporary` at `destination`: replacing what is there only with `force`. */
function publish(temporary: string, destination: string, force: boolean): void {
  if (force) {
    renameSync(temporary, destination)
    return
  }
  try {
    linkSync(temporary, destination)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw backupExists(destination)
    throw error
  }
}

function backupExists(destination: string): StrataError {
  return new StrataError(
    'STORE_BACKUP_EXISTS',
    `${destination} already exists — choose another file, or pass --force to replace it`,
    { details: { path: destination } },
  )
}

/**
 * Copies a store's database into a self-contained file at `destination` through SQLite's online backup:
 * one consistent moment of the store, taken while other processes go on writing (WAL readers block no
 * writer). The copy is checked (`quick_check`), made a single file (no -wal beside it), readable by this
 * user only, and appears at `destination` whole or not at all.
 * @throws StrataError `STORE_BACKUP_EXISTS` when `destination` exists and `force` is not set
 */
export async function backupDatabase(
  db: DatabaseSync,
  storePath: string,
  destination: string,
  options: { force?: boolean } = {},
): Promise<{ path: string; bytes: number }> {
  const existing = statSync(destination, { throwIfNoEntry: false })
  if (existing && !options.force) throw backupExists(destination)
  const store = statSync(storePath, { throwIfNoEntry: false })
  if (existing && store && existing.ino === store.ino && existing.dev === store.dev) {
    throw new StrataError(
      'STORE_BACKUP_EXISTS',
      `${destination} is the store itself — back it up to another file`,
    )
  }
  const temporary = temporaryBeside(destination, 'partial')
  try {
    await sqlite().backup(db, temporary, { rate: ALL_PAGES })
    const copy = new (sqlite().DatabaseSync)(temporary)
    try {
      copy.exec('PRAGMA journal_mode = DELETE')
      const check = copy.prepare('PRAGMA quick_check(1)').get() as { quick_check: string }
      if (check.quick_check !== 'ok') {
        throw new StrataError(
          'STORE_DAMAGED',
          `the backup of ${storePath} does not pass SQLite's check (${check.quick_check}) — the store itself is damaged: run 'strata store check'`,
        )
      }
    } finally {
      copy.close()
    }
    chmodSync(temporary, 0o600)
    publish(temporary, destination, options.force === true)
    return { path: destination, bytes: statSync(destination).size }
  } finally {
    removeFiles(temporary)
  }
}

export interface RestoreOptions {
  /** The store's database file. */
  path: string
  /** The backup to restore. */
  from: string
  /** @default new Date() */
  now?: Date
}

export interface RestoreResult {
  /** Where the store that was replaced is kept, or `undefined` when there was none. */
  replaced: string | undefined
  /** The restored store's schema version (it is migrated on its next open when older than this Strata). */
  schemaVersion: number
}

function storeInUse(path: string, cause?: unknown): StrataError {
  const holders = describeHolders(lockHolders(path))
  return new StrataError(
    'STORE_IN_USE',
    `cannot restore the Strata store at ${path} while ${holders ?? 'another process'} has it open — let it finish or stop it, then retry`,
    { ...(cause === undefined ? {} : { cause }), details: { path } },
  )
}

const BUSY = new Set([5, 6])
const UNREADABLE = new Set([11, 26])

/**
 * Copies the store's files aside as they are, holding an exclusive lock that no connection in any process
 * can share: so the copy is whole, and a process that has the store open is found (SQLite's answer, not a
 * guess). Its -wal goes too when a crash left one.
 * @returns `'unreadable'` when SQLite cannot read the file as a database at all (nothing was copied)
 * @throws StrataError `STORE_IN_USE` naming the processes that have the store open
 */
function copyAside(path: string, replaced: string): 'copied' | 'unreadable' {
  let probe: DatabaseSync | undefined
  try {
    probe = new (sqlite().DatabaseSync)(existingFileUrl(path), { timeout: 0 })
    probe.exec('PRAGMA locking_mode = EXCLUSIVE')
    probe.exec('BEGIN EXCLUSIVE')
    probe.prepare('SELECT COUNT(*) FROM sqlite_master').get()
    copyFileSync(path, replaced)
    const wal = statSync(`${path}-wal`, { throwIfNoEntry: false })
    if (wal && wal.size > 0) copyFileSync(`${path}-wal`, `${replaced}-wal`)
    probe.exec('ROLLBACK')
    return 'copied'
  } catch (error) {
    removeFiles(replaced)
    const code = sqliteCode(error)
    if (code !== undefined && BUSY.has(code)) throw storeInUse(path, error)
    if (code !== undefined && UNREADABLE.has(code)) return 'unreadable'
    throw storeError(error, { path, busyTimeoutMs: 0 })
  } finally {
    probe?.close()
  }
}

/** A file SQLite cannot read goes aside by name (nobody can have it open as a store), with its -wal. */
function moveAside(path: string, replaced: string): () => void {
  const holders = lockHolders(path)
  if (holders && holders.length > 0) throw storeInUse(path)
  renameSync(path, replaced)
  const wal = statSync(`${path}-wal`, { throwIfNoEntry: false })
  if (wal) renameSync(`${path}-wal`, `${replaced}-wal`)
  rmSync(`${path}-shm`, { force: true })
  return () => {
    renameSync(replaced, path)
    if (wal) renameSync(`${replaced}-wal`, `${path}-wal`)
  }
}

/** Opens a store to look at it: closing leaves its write-ahead log as it is (a check writes nothing). */
function openExisting(path: string): { db: DatabaseSync; close(): void } {
  const db = new (sqlite().DatabaseSync)(existingFileUrl(path))
  return { db, close: () => closeRefused(sqlite(), db, path) }
}

/** Opens a file read-only; closing removes the -wal and -shm that SQLite made beside a WAL-mode file. */
function openReadOnly(path: string): { db: DatabaseSync; close(): void } {
  const absent = ['-wal', '-shm'].filter((suffix) => !statSync(`${path}${suffix}`, { throwIfNoEntry: false }))
  const db = new (sqlite().DatabaseSync)(existingFileUrl(path, 'ro'), { readOnly: true })
  return {
    db,
    close() {
      db.close()
      for (const suffix of absent) {
        const made = statSync(`${path}${suffix}`, { throwIfNoEntry: false })
        if (made && made.size === 0) rmSync(`${path}${suffix}`, { force: true })
      }
    },
  }
}

/** Makes the store at `path` (where no file is) from `backupFile`, whole or not at all. */
async function createFromBackup(backupFile: DatabaseSync, path: string): Promise<void> {
  const temporary = temporaryBeside(path, 'restoring')
  try {
    await sqlite().backup(backupFile, temporary, { rate: ALL_PAGES })
    chmodSync(temporary, 0o600)
    linkSync(temporary, path)
  } finally {
    removeFiles(temporary)
  }
}

/**
 * Replaces the store at `options.path` with a backup, after checking that the backup is a healthy store
 * of a schema this Strata knows. The store it replaces is kept beside it (`strata.db.replaced-<time>`),
 * also when it was damaged; it is refused while another process has the store open (named on Linux).
 * The backup is copied into the store's own file through SQLite's backup, one write transaction, so a
 * process that opens the store meanwhile sees the old store or the restored one, never a mix; a file
 * SQLite cannot read is moved aside and the backup put in its place.
 * @throws StrataError `STORE_BACKUP_INVALID` naming what is wrong with the backup, `STORE_IN_USE`
 */
export async function restoreDatabase(options: RestoreOptions): Promise<RestoreResult> {
  const { path, from } = options
  const source = statSync(from, { throwIfNoEntry: false })
  const current = statSync(path, { throwIfNoEntry: false })
  if (source && current && source.ino === current.ino && source.dev === current.dev) {
    throw new StrataError('STORE_BACKUP_INVALID', `${from} is the store itself — restore from a backup of it`)
  }
  const inspection = inspectStoreFile(from, { readOnly: true })
  if (!inspection.exists || inspection.problems.length > 0 || inspection.schemaVersion === undefined) {
    throw new StrataError(
      'STORE_BACKUP_INVALID',
      `cannot restore from ${from}: ${inspection.exists ? inspection.problems.join('; ') : 'no such file'} — pick another backup (made with 'strata store backup FILE')`,
      { details: { path: from } },
    )
  }
  const replaced = current ? replacedName(path, options.now ?? new Date()) : undefined
  const backupFile = openReadOnly(from)
  try {
    if (!replaced) {
      await createFromBackup(backupFile.db, path)
    } else if (copyAside(path, replaced) === 'copied') {
      try {
        await sqlite().backup(backupFile.db, path, { rate: ALL_PAGES })
      } catch (error) {
        const code = sqliteCode(error)
        // Someone opened the store since the copy: nothing was replaced, so nothing is kept aside.
        if (code !== undefined && BUSY.has(code)) {
          removeFiles(replaced)
          throw storeInUse(path, error)
        }
        throw error
      }
    } else {
      const putBack = moveAside(path, replaced)
      try {
        await createFromBackup(backupFile.db, path)
      } catch (error) {
        putBack()
        throw error
      }
    }
  } catch (error) {
    throw storeError(error, { path, busyTimeoutMs: 0 })
  } finally {
    backupFile.close()
  }
  return { replaced, schemaVersion: inspection.schemaVersion }
}
