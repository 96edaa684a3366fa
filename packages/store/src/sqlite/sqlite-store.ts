import { join } from 'node:path'
import type { DatabaseSync, StatementSync } from 'node:sqlite'
import { StrataError } from '@strata/core/base'
import { resolveConfigDir } from './config-dir.js'
import { MIGRATIONS, STORE_SCHEMA_VERSION } from './migrations.js'
import { type FilesystemProbe, refuseNetworkFilesystem } from './network-filesystem.js'
import { assertSupportedNode } from './node-version.js'

// Not `import ... from 'node:fs'`: building that ESM facade loads fs/promises (~3 ms), a tenth of the
// start-up budget of `strata stack list`; getBuiltinModule hands over the already-loaded module.
const { chmodSync, mkdirSync } = process.getBuiltinModule('node:fs')

export type Database = DatabaseSync

export interface OpenStoreOptions {
  /** The user's Strata directory. @default resolveConfigDir() */
  configDir?: string
  /** The database file. @default `<configDir>/strata.db` */
  path?: string
  /**
   * How long a write waits for another process's write to finish.
   * @default 30000
   */
  busyTimeoutMs?: number
  /** How the store directory's filesystem is found (network filesystems are refused). @default the real one */
  filesystem?: FilesystemProbe
}

/** Row values as SQLite returns them. */
export type Row = Record<string, unknown>

/**
 * The embedded metadata store: one SQLite file in WAL mode. Reads never block; every write runs in a
 * `BEGIN IMMEDIATE` transaction (taking the write lock up front, so concurrent processes queue on the busy
 * timeout instead of failing with "database is locked"); a failure rolls the whole command back.
 */
export class SqliteStore {
  readonly db: Database
  readonly path: string
  readonly configDir: string
  /** Prepared statements by SQL: repositories run the same few statements over and over. */
  readonly #statements = new Map<string, StatementSync>()
  /** Open transactions: 0 outside, 1 in `BEGIN IMMEDIATE`, more in savepoints. */
  #depth = 0
  #open = true

  private constructor(db: Database, path: string, configDir: string) {
    this.db = db
    this.path = path
    this.configDir = configDir
  }

  /**
   * Opens (creating and migrating when needed) the store.
   * @throws StrataError `NODE_VERSION`, `NETWORK_FILESYSTEM`, `STORE_TOO_NEW` or `STORE_OPEN_FAILED`
   */
  static open(options: OpenStoreOptions = {}): SqliteStore {
    assertSupportedNode()
    const configDir = options.configDir ?? resolveConfigDir()
    const path = options.path ?? join(configDir, 'strata.db')
    mkdirSync(configDir, { recursive: true, mode: 0o700 })
    refuseNetworkFilesystem(configDir, process.env, options.filesystem)
    // Node's built-in SQLite: no native package to install, and it opens in under a millisecond (a native
    // binding took ~8 ms, a sixth of the start-up budget of `strata stack list`). Loaded after the Node check.
    const { DatabaseSync } = process.getBuiltinModule('node:sqlite') as typeof import('node:sqlite')
    let db: Database
    try {
      db = new DatabaseSync(path, {
        timeout: options.busyTimeoutMs ?? 30_000,
        enableForeignKeyConstraints: true,
      })
      // A checkpoint (and its fsync) every 4000 pages rather than SQLite's 1000: a pipeline run commits a
      // transaction per step, and checkpoints were a tenth of a step's cost on the default stack.
      db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 4000')
    } catch (error) {
      throw new StrataError(
        'STORE_OPEN_FAILED',
        `cannot open the Strata store at ${path}: ${(error as Error).message} — check the file's permissions, or point STRATA_CONFIG_DIR elsewhere`,
        { cause: error },
      )
    }
    try {
      chmodSync(path, 0o600)
    } catch {}
    const store = new SqliteStore(db, path, configDir)
    store.#migrate()
    return store
  }

  /** The schema version of the open store. */
  get schemaVersion(): number {
    return (this.get<{ user_version: number }>('PRAGMA user_version')?.user_version ?? 0) as number
  }

  #migrate(): void {
    const current = this.schemaVersion
    if (current > STORE_SCHEMA_VERSION) {
      this.close()
      throw new StrataError(
        'STORE_TOO_NEW',
        `the Strata store at ${this.path} has schema version ${current}, but this Strata knows only up to ${STORE_SCHEMA_VERSION} — upgrade Strata (pnpm add -D @strata/cli@latest @strata/sdk@latest), or point STRATA_CONFIG_DIR at another store`,
      )
    }
    if (current === STORE_SCHEMA_VERSION) return
    this.transaction(() => {
      // Another process may have migrated while this one waited for the write lock.
      const locked = this.schemaVersion
      for (const migration of MIGRATIONS) {
        if (migration.version <= locked) continue
        this.db.exec(migration.sql)
        this.db.exec(`PRAGMA user_version = ${migration.version}`)
      }
    })
  }

  /**
   * Runs `fn` in one write transaction (`BEGIN IMMEDIATE`): all of it commits, or none of it does.
   * Nested calls become savepoints of the outer transaction.
   */
  transaction<T>(fn: () => T): T {
    if (this.#depth > 0) {
      const savepoint = `strata_${this.#depth}`
      this.db.exec(`SAVEPOINT ${savepoint}`)
      this.#depth++
      try {
        const result = synchronous(fn())
        this.db.exec(`RELEASE ${savepoint}`)
        return result
      } catch (error) {
        this.db.exec(`ROLLBACK TO ${savepoint}; RELEASE ${savepoint}`)
        throw error
      } finally {
        this.#depth--
      }
    }
    this.db.exec('BEGIN IMMEDIATE')
    this.#depth++
    try {
      const result = synchronous(fn())
      this.db.exec('COMMIT')
      return result
    } catch (error) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK')
      throw error
    } finally {
      this.#depth--
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
    return this.#statement(sql).all(...(params as SqlValue[])) as T[]
  }

  /** The first row of one query, or `undefined`. */
  get<T = Row>(sql: string, ...params: unknown[]): T | undefined {
    return this.#statement(sql).get(...(params as SqlValue[])) as T | undefined
  }

  /** Runs one statement; returns the number of changed rows. */
  run(sql: string, ...params: unknown[]): number {
    return Number(this.#statement(sql).run(...(params as SqlValue[])).changes)
  }

  /**
   * Every row of every table, sorted: a logical dump that tests compare to prove that a failed command
   * left the store as it was.
   */
  dump(): Record<string, Row[]> {
    const tables = this.all<{ name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    const dump: Record<string, Row[]> = {}
    for (const { name } of tables) {
      const rows = this.all(`SELECT * FROM "${name}"`)
      dump[name] = rows.sort((a, b) => {
        const left = JSON.stringify(a, (_key, value) =>
          value instanceof Uint8Array ? Buffer.from(value).toString('hex') : value,
        )
        const right = JSON.stringify(b, (_key, value) =>
          value instanceof Uint8Array ? Buffer.from(value).toString('hex') : value,
        )
        return left < right ? -1 : left > right ? 1 : 0
      })
    }
    return dump
  }

  /** `PRAGMA integrity_check`: `'ok'` for a healthy file. */
  integrityCheck(): string {
    return this.get<{ integrity_check: string }>('PRAGMA integrity_check')?.integrity_check ?? 'no answer'
  }

  close(): void {
    if (!this.#open) return
    this.#open = false
    this.#statements.clear()
    this.db.close()
  }
}

type SqlValue = null | number | bigint | string | Uint8Array

/** A transaction body must not be async: its work would run after the commit. */
function synchronous<T>(result: T): T {
  if (typeof (result as { then?: unknown } | null)?.then === 'function') {
    throw new TypeError('a store transaction must be synchronous — do async work before or after it')
  }
  return result
}

/** Now, as stored: ISO 8601 in UTC. */
export function now(): string {
  return new Date().toISOString()
}
