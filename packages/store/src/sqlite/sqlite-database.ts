import type { DatabaseSync, StatementSync } from 'node:sqlite'
import { StrataError } from '@strata/core/base'
import { type StoreLocation, storeError } from './sqlite-errors.js'

/** Row values as SQLite returns them. */
export type Row = Record<string, unknown>

type SqlValue = null | number | bigint | string | Uint8Array

/** One open level of a transaction: `BEGIN IMMEDIATE` at the top, a savepoint below. */
export interface TransactionLevel {
  /** Commits (or releases the savepoint); on failure rolls the level back and throws. */
  commit(): void
  rollback(): void
}

/**
 * The synchronous core of the SQLite store: one connection, its prepared statements, and transactions
 * that nest as savepoints. The SQLite repositories run on it; only the store's queue calls them, so no two
 * callers ever share an open transaction.
 *
 * Every statement runs through here, so this is where SQLite's failures that a user can act on (the store
 * locked past the busy timeout, a full disk, a damaged file) become coded errors (see `storeError`).
 */
export class SqliteDatabase {
  readonly db: DatabaseSync
  readonly location: StoreLocation
  /** Prepared statements by SQL: repositories run the same few statements over and over. */
  readonly #statements = new Map<string, StatementSync>()
  /** Open transaction levels: 0 outside, 1 in `BEGIN IMMEDIATE`, more in savepoints. */
  #depth = 0

  constructor(db: DatabaseSync, location: StoreLocation) {
    this.db = db
    this.location = location
  }

  /** Runs SQL directly (pragmas, migrations, transaction control). */
  exec(sql: string): void {
    try {
      this.db.exec(sql)
    } catch (error) {
      throw storeError(error, this.location)
    }
  }

  #statement(sql: string): StatementSync {
    let statement = this.#statements.get(sql)
    if (!statement) {
      statement = this.db.prepare(sql)
      this.#statements.set(sql, statement)
    }
    return statement
  }

  /** All rows of one query. */
  all<T = Row>(sql: string, ...params: unknown[]): T[] {
    try {
      return this.#statement(sql).all(...(params as SqlValue[])) as T[]
    } catch (error) {
      throw storeError(error, this.location)
    }
  }

  /** The first row of one query, or `undefined`. */
  get<T = Row>(sql: string, ...params: unknown[]): T | undefined {
    try {
      return this.#statement(sql).get(...(params as SqlValue[])) as T | undefined
    } catch (error) {
      throw storeError(error, this.location)
    }
  }

  /** The `n` of `SELECT COUNT(*) AS n …` (which always returns its one row). */
  count(sql: string, ...params: unknown[]): number {
    return this.get<{ n: number }>(sql, ...params)?.n ?? 0
  }

  /**
   * Runs one statement; returns the number of changed rows. A constraint it breaks is thrown as SQLite's
   * error, for the repository to name (`RUN_EXISTS`); the failures a user can act on are coded here.
   */
  run(sql: string, ...params: unknown[]): number {
    try {
      return Number(this.#statement(sql).run(...(params as SqlValue[])).changes)
    } catch (error) {
      throw storeError(error, this.location)
    }
  }

  /**
   * Opens a transaction level: `BEGIN IMMEDIATE` (taking the write lock up front, so concurrent processes
   * queue on the busy timeout instead of failing with "database is locked"), or a savepoint inside one.
   */
  begin(): TransactionLevel {
    if (this.#depth > 0) {
      const savepoint = `strata_${this.#depth}`
      this.exec(`SAVEPOINT ${savepoint}`)
      this.#depth++
      return {
        commit: () => {
          try {
            this.exec(`RELEASE ${savepoint}`)
          } catch (error) {
            this.exec(`ROLLBACK TO ${savepoint}; RELEASE ${savepoint}`)
            throw error
          } finally {
            this.#depth--
          }
        },
        rollback: () => {
          try {
            this.exec(`ROLLBACK TO ${savepoint}; RELEASE ${savepoint}`)
          } finally {
            this.#depth--
          }
        },
      }
    }
    this.exec('BEGIN IMMEDIATE')
    this.#depth++
    return {
      commit: () => {
        try {
          this.exec('COMMIT')
        } catch (error) {
          if (this.db.isTransaction) this.exec('ROLLBACK')
          throw error
        } finally {
          this.#depth--
        }
      },
      rollback: () => {
        try {
          if (this.db.isTransaction) this.exec('ROLLBACK')
        } finally {
          this.#depth--
        }
      },
    }
  }

  /**
   * Runs synchronous `fn` in one transaction level: all of it commits, or none of it does. What the
   * repositories use for their multi-statement writes; inside an open transaction it is a savepoint.
   */
  transaction<T>(fn: () => T): T {
    const level = this.begin()
    let result: T
    try {
      result = fn()
      if (typeof (result as { then?: unknown } | null)?.then === 'function') {
        throw new TypeError('a synchronous store transaction returned a promise — use store.transaction()')
      }
    } catch (error) {
      level.rollback()
      throw error
    }
    level.commit()
    return result
  }

  close(): void {
    this.#statements.clear()
    this.db.close()
  }
}

/**
 * A record this connection has just written, read back in the same transaction: missing only if the
 * database lost the write, which is refused rather than passed on as `undefined`.
 * @throws StrataError `STORE_WRITE_LOST`
 */
export function readBack<T>(record: T | undefined, what: string): T {
  if (record !== undefined) return record
  throw new StrataError(
    'STORE_WRITE_LOST',
    `${what} was written to the metadata store but cannot be read back — check that no other program changes the store's database file, then retry`,
  )
}

/** Now, as stored: ISO 8601 in UTC. */
export function now(): string {
  return new Date().toISOString()
}
