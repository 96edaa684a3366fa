import { createRequire } from 'node:module'
import { join } from 'node:path'
import { StrataError } from '@strata/core/base'
import type BetterSqlite3 from 'better-sqlite3'
import { resolveConfigDir } from './config-dir.js'
import { MIGRATIONS, STORE_SCHEMA_VERSION } from './migrations.js'
import { refuseNetworkFilesystem } from './network-filesystem.js'
import { assertSupportedNode } from './node-version.js'

// Not `import ... from 'node:fs'`: building that ESM facade loads fs/promises (~3 ms), a tenth of the
// start-up budget of `strata stack list`; getBuiltinModule hands over the already-loaded module.
const { chmodSync, mkdirSync } = process.getBuiltinModule('node:fs')

export type Database = BetterSqlite3.Database

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
    refuseNetworkFilesystem(configDir)
    // Loaded only now: the native binding must not load before the Node version check.
    const Sqlite = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3
    let db: Database
    try {
      db = new Sqlite(path, { timeout: options.busyTimeoutMs ?? 30_000 })
      db.pragma('journal_mode = WAL')
      db.pragma('synchronous = NORMAL')
      db.pragma('foreign_keys = ON')
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
    return this.db.pragma('user_version', { simple: true }) as number
  }

  #migrate(): void {
    const current = this.schemaVersion
    if (current > STORE_SCHEMA_VERSION) {
      this.db.close()
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
        this.db.pragma(`user_version = ${migration.version}`)
      }
    })
  }

  /**
   * Runs `fn` in one write transaction (`BEGIN IMMEDIATE`): all of it commits, or none of it does.
   * Nested calls become savepoints of the outer transaction.
   */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate()
  }

  /** All rows of one query. */
  all<T = Row>(sql: string, ...params: unknown[]): T[] {
    return this.db.prepare(sql).all(...params) as T[]
  }

  /** The first row of one query, or `undefined`. */
  get<T = Row>(sql: string, ...params: unknown[]): T | undefined {
    return this.db.prepare(sql).get(...params) as T | undefined
  }

  /** Runs one statement; returns the number of changed rows. */
  run(sql: string, ...params: unknown[]): number {
    return this.db.prepare(sql).run(...params).changes
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
          Buffer.isBuffer(value) ? value.toString('hex') : value,
        )
        const right = JSON.stringify(b, (_key, value) =>
          Buffer.isBuffer(value) ? value.toString('hex') : value,
        )
        return left < right ? -1 : left > right ? 1 : 0
      })
    }
    return dump
  }

  /** `PRAGMA integrity_check`: `'ok'` for a healthy file. */
  integrityCheck(): string {
    return this.db.pragma('integrity_check', { simple: true }) as string
  }

  close(): void {
    if (this.db.open) this.db.close()
  }
}

/** Now, as stored: ISO 8601 in UTC. */
export function now(): string {
  return new Date().toISOString()
}
