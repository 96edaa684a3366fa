import { dirname } from 'node:path'
import { StrataError } from '@strata/core/base'
import { describeHolders, lockHolders } from './lock-holders.js'

// SQLite's primary result codes (the low byte of an extended code) that a user can act on.
const SQLITE_BUSY = 5
const SQLITE_LOCKED = 6
const SQLITE_READONLY = 8
const SQLITE_IOERR = 10
const SQLITE_CORRUPT = 11
const SQLITE_FULL = 13
const SQLITE_CANTOPEN = 14
const SQLITE_NOTADB = 26
const SQLITE_IOERR_SHMSIZE = 4874

/** Where an SQLite error happened: the store's file and how long a write waits for another process. */
export interface StoreLocation {
  path: string
  busyTimeoutMs: number
}

/** SQLite's primary result code of a `node:sqlite` error, or `undefined` for any other error. */
export function sqliteCode(error: unknown): number | undefined {
  const { code, errcode } = (error ?? {}) as { code?: unknown; errcode?: unknown }
  return code === 'ERR_SQLITE_ERROR' && typeof errcode === 'number' ? errcode & 0xff : undefined
}

/** How to get out of a damaged store: said by every error and check that finds one. */
function damagedAdvice(path: string): string {
  return `restore a backup with 'strata store restore FILE', or move ${path} away to start afresh (its stacks, runs, models and secrets are then gone)`
}

/**
 * The error for a file that is not a usable Strata store (also what `strata store check` ends with).
 * @param what what is wrong with it, e.g. `the file is empty (0 bytes)`
 */
export function damagedStore(path: string, what: string, cause?: unknown): StrataError {
  return new StrataError(
    'STORE_DAMAGED',
    `the Strata store at ${path} is damaged: ${what} — ${damagedAdvice(path)}`,
    {
      ...(cause === undefined ? {} : { cause }),
      details: { path },
    },
  )
}

function diskFull(location: StoreLocation, detail: string, cause: unknown): StrataError {
  const { path } = location
  return new StrataError(
    'STORE_DISK_FULL',
    `cannot write to the Strata store at ${path}: the disk is full${detail} — free space on the disk that holds ${dirname(path)}, then retry`,
    { cause, details: { path } },
  )
}

/** How long the busy timeout is, as a person says it. */
function duration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`
}

/**
 * The coded StrataError for an SQLite failure a user can do something about — the store locked past the
 * busy timeout, a full disk, a damaged file, a read-only or failing disk — or the error as it was.
 * Runs only on the failure path, so naming the process that holds the store costs nothing otherwise.
 */
export function storeError(error: unknown, location: StoreLocation): unknown {
  const code = sqliteCode(error)
  if (code === undefined) return error
  const { path } = location
  const reason = (error as { errstr?: string }).errstr ?? (error as Error).message
  const options = { cause: error, details: { path } }
  switch (code) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: {
      const holders = describeHolders(lockHolders(path))
      return new StrataError(
        'STORE_BUSY',
        `the Strata store at ${path} stayed locked by ${holders ?? 'another process'} for longer than the busy timeout (${duration(location.busyTimeoutMs)}) — wait for it to finish and retry, or wait longer with STRATA_STORE_BUSY_TIMEOUT_MS`,
        options,
      )
    }
    case SQLITE_FULL:
      return diskFull(location, '', error)
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return damagedStore(
        path,
        code === SQLITE_NOTADB ? 'it is not an SQLite database' : `SQLite reports '${reason}'`,
        error,
      )
    case SQLITE_READONLY:
      return new StrataError(
        'STORE_READ_ONLY',
        `cannot write to the Strata store at ${path}: ${reason} — make the file and ${dirname(path)} writable for this user (SQLite writes ${path}-wal and -shm beside it)`,
        options,
      )
    case SQLITE_IOERR:
      // SQLITE_IOERR_SHMSIZE: no room to grow the shared-memory index beside the store (tmpfs, a full disk).
      if ((error as { errcode: number }).errcode === SQLITE_IOERR_SHMSIZE)
        return diskFull(location, ` (no room for ${path}-shm)`, error)
      return new StrataError(
        'STORE_IO_FAILED',
        `the Strata store at ${path} could not be read or written: ${reason} — check the disk, then 'strata store check'`,
        options,
      )
    case SQLITE_CANTOPEN:
      return new StrataError(
        'STORE_OPEN_FAILED',
        `cannot open the Strata store at ${path}: ${reason} — check the permissions of the file and its directory, or point STRATA_CONFIG_DIR elsewhere`,
        options,
      )
    default:
      return error
  }
}
