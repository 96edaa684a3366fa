import type { DatabaseSync } from 'node:sqlite'
import { StrataError } from '@strata/core/base'
import { lockHolders } from './lock-holders.js'
import { MIGRATIONS } from './migrations.js'
import { damagedStore } from './sqlite-errors.js'

// Not `import ... from 'node:fs'`: building that ESM facade loads fs/promises (~3 ms); see sqlite-store.ts.
const { chmodSync, linkSync, renameSync, rmSync, statSync } = process.getBuiltinModule('node:fs')

type Sqlite = typeof import('node:sqlite')

/**
 * WAL mode, and a checkpoint (with its fsync) every 4000 pages rather than SQLite's 1000: a pipeline run
 * commits a transaction per step, and checkpoints were a tenth of a step's cost on the default stack.
 */
export const CONNECTION_PRAGMAS =
  'PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 4000'

/** The tables every store has had since schema version 1: a file without them is not a Strata store. */
export const STORE_TABLES = ['settings', 'stacks', 'components', 'runs', 'step_runs', 'artifact_versions']

/**
 * The `file:` URI of an existing database, which SQLite opens without creating it when it is missing
 * (`mode=rw`). Only what SQLite's URI parser reads specially is escaped (`%`, `?`, `#`): a string, not a
 * URL object, because this is on every command's way in.
 */
export function existingFileUrl(path: string, mode: 'rw' | 'ro' = 'rw'): string {
  return `file:${path.replace(/[%?#]/g, (character) => `%${character.charCodeAt(0).toString(16)}`)}?mode=${mode}`
}

/** Applies the migrations after `from` in one write transaction. */
export function applyMigrations(db: DatabaseSync, from: number): void {
  for (const migration of MIGRATIONS) {
    if (migration.version <= from) continue
    db.exec(migration.sql)
    db.exec(`PRAGMA user_version = ${migration.version}`)
  }
}

let created = 0

/**
 * Makes a new store at `path`, which does not exist: built and migrated under a temporary name, then
 * hard-linked into place, so no process ever sees a half-made store at `path`. This is what lets an
 * existing file that is not a store (empty, cut short) be refused instead of silently started over.
 * When another process made one first, its store is kept and this one is thrown away.
 */
export function createStoreFile(sqlite: Sqlite, path: string): void {
  const temporary = `${path}.creating-${process.pid}-${++created}`
  try {
    const db = new sqlite.DatabaseSync(temporary, { enableForeignKeyConstraints: true })
    try {
      db.exec(CONNECTION_PRAGMAS)
      db.exec('BEGIN IMMEDIATE')
      applyMigrations(db, 0)
      db.exec('COMMIT')
    } finally {
      // The last connection to close checkpoints the WAL into the file and removes it.
      db.close()
    }
    chmodSync(temporary, 0o600)
    publish(temporary, path)
  } finally {
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${temporary}${suffix}`, { force: true })
  }
}

/** Puts `temporary` at `path` unless something is there already (then that one stays). */
function publish(temporary: string, path: string): void {
  try {
    linkSync(temporary, path)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EEXIST') return
    // A filesystem without hard links: a rename, after looking (the window is the lookup's).
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw error
    if (!statSync(path, { throwIfNoEntry: false })) renameSync(temporary, path)
  }
}

/**
 * Checks what can be checked of an existing store file before SQLite opens it, at the cost of a stat:
 * a store is never empty (see {@link createStoreFile}).
 * @returns whether `path` exists
 * @throws StrataError `STORE_DAMAGED` for an empty file, `STORE_OPEN_FAILED` for a directory
 */
export function checkStoreFile(path: string): boolean {
  const stat = statSync(path, { throwIfNoEntry: false })
  if (!stat) return false
  if (!stat.isFile()) {
    throw new StrataError(
      'STORE_OPEN_FAILED',
      `cannot open the Strata store at ${path}: it is not a file — move it away, or point STRATA_CONFIG_DIR elsewhere`,
    )
  }
  if (stat.size === 0) throw damagedStore(path, 'the file is empty (0 bytes)')
  return true
}

/**
 * Whether the store's write-ahead log was left by a process that ended without closing the store (a
 * crash, kill -9, a power cut) and is about to be recovered by this one: it is non-empty and no other
 * process has the store open. Only Linux can tell (/proc/locks); elsewhere the answer is no.
 */
export function hotWriteAheadLog(path: string): boolean {
  const wal = statSync(`${path}-wal`, { throwIfNoEntry: false })
  if (!wal || wal.size === 0) return false
  return lockHolders(path)?.length === 0
}

/**
 * Closes a connection to a file that was just refused, leaving the file as it was: the last connection to
 * close folds the write-ahead log into the database, which for a log that does not belong would write
 * another store's pages into this one. A read-only connection kept open meanwhile makes this one not the
 * last, and cannot fold the log itself (it cannot take the write lock that needs).
 */
export function closeRefused(sqlite: Sqlite, db: DatabaseSync | undefined, path: string): void {
  if (!db) return
  let guard: DatabaseSync | undefined
  if (statSync(`${path}-wal`, { throwIfNoEntry: false })) {
    try {
      guard = new sqlite.DatabaseSync(existingFileUrl(path, 'ro'), { readOnly: true })
      guard.prepare('PRAGMA schema_version').get()
    } catch {}
  }
  db.close()
  guard?.close()
}

/**
 * The schema version of an open SQLite file, or what keeps it from being a store of this schema's line:
 * version 0 is never a store (stores are made migrated), and what the file holds says what it is instead.
 */
export function storeVersion(db: DatabaseSync): { version: number } | { problem: string } {
  const version = (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version
  if (version > 0) return { version }
  const tables = (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name LIMIT 4").all() as Array<{
      name: string
    }>
  ).map((row) => row.name)
  return {
    problem:
      tables.length === 0
        ? 'it is an empty SQLite database, not a Strata store'
        : `it is an SQLite database of something else (tables ${tables.slice(0, 3).join(', ')}${tables.length > 3 ? ', …' : ''}), not a Strata store`,
  }
}
