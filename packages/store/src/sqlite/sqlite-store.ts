import type { AsyncLocalStorage } from 'node:async_hooks'
import { join } from 'node:path'
import type { DatabaseSync } from 'node:sqlite'
import { StrataError } from '@strata/core/base'
import { resolveConfigDir } from '../config-dir.js'
import type { MetadataStore, StoreRepositories, StoreTransaction } from '../metadata-store.js'
import { type FilesystemProbe, refuseNetworkFilesystem } from '../network-filesystem.js'
import { assertSupportedNode } from '../node-version.js'
import type { ArtifactRepository } from '../repositories/artifacts.js'
import type { ComponentRepository } from '../repositories/components.js'
import type { FlavorRepository } from '../repositories/flavors.js'
import type { ModelRepository } from '../repositories/models.js'
import type { RunRepository } from '../repositories/runs.js'
import type { ScheduleRepository } from '../repositories/schedules.js'
import type { SecretRepository } from '../repositories/secrets.js'
import { loadSecretsKey } from '../repositories/secrets-key.js'
import type { SettingsRepository } from '../repositories/settings.js'
import type { StackRepository } from '../repositories/stacks.js'
import { SqliteArtifactRepository } from './artifacts.js'
import { SqliteComponentRepository } from './components.js'
import { SqliteFlavorRepository } from './flavors.js'
import { STORE_SCHEMA_VERSION } from './migrations.js'
import { SqliteModelRepository } from './models.js'
import { queued } from './queued-repository.js'
import { SqliteRunRepository } from './runs.js'
import { SqliteScheduleRepository } from './schedules.js'
import { SqliteSecretRepository } from './secrets.js'
import { SqliteSettingsRepository } from './settings.js'
import { type Row, SqliteDatabase } from './sqlite-database.js'
import { damagedStore, type StoreLocation, storeError } from './sqlite-errors.js'
import { SqliteStackRepository } from './stacks.js'
import {
  applyMigrations,
  CONNECTION_PRAGMAS,
  checkStoreFile,
  closeRefused,
  createStoreFile,
  existingFileUrl,
  hotWriteAheadLog,
  storeVersion,
} from './store-file.js'
import {
  backupDatabase,
  inspectStoreFile,
  type RestoreResult,
  restoreDatabase,
  type StoreInspection,
} from './store-maintenance.js'
import { TransactionQueue } from './transaction-queue.js'

// Not `import ... from 'node:fs'`: building that ESM facade loads fs/promises (~3 ms), a tenth of the
// start-up budget of `strata stack list`; getBuiltinModule hands over the already-loaded module.
const { chmodSync, mkdirSync } = process.getBuiltinModule('node:fs')

/** How long a write waits for another process's by default. */
const DEFAULT_BUSY_TIMEOUT_MS = 30_000

/**
 * `STRATA_STORE_BUSY_TIMEOUT_MS`, else 30 s.
 * @throws StrataError `INVALID_CONFIG` for a value that is not a whole number of milliseconds
 */
function busyTimeoutFromEnv(env: NodeJS.ProcessEnv): number {
  const raw = env.STRATA_STORE_BUSY_TIMEOUT_MS
  if (raw === undefined || raw === '') return DEFAULT_BUSY_TIMEOUT_MS
  const value = Number(raw)
  if (Number.isSafeInteger(value) && value >= 0 && value <= 2 ** 31 - 1) return value
  throw new StrataError(
    'INVALID_CONFIG',
    `STRATA_STORE_BUSY_TIMEOUT_MS must be a whole number of milliseconds (0 to 2147483647), got '${raw.slice(0, 40)}' — fix or unset it`,
  )
}

/**
 * SQLite's `synchronous` setting for the store's connection (it runs in WAL mode either way). `normal`: no
 * fsync per commit; a crash of the process never loses or damages a commit, a power cut or OS crash may
 * undo the last commits before the WAL was synced, never damaging the file. `full`: an fsync of the WAL per
 * commit, so a power cut loses no commit, at the price of that fsync on every step's record.
 */
export type StoreSynchronous = 'normal' | 'full'

function synchronousFromEnv(env: NodeJS.ProcessEnv): StoreSynchronous {
  const raw = env.STRATA_STORE_SYNCHRONOUS
  if (raw === undefined || raw === '') return 'normal'
  const value = raw.toLowerCase()
  if (value === 'normal' || value === 'full') return value
  throw new StrataError(
    'INVALID_CONFIG',
    `STRATA_STORE_SYNCHRONOUS must be 'normal' or 'full', got '${raw.slice(0, 40)}' — fix or unset it`,
  )
}

export interface OpenStoreOptions {
  /** The user's Strata directory. @default resolveConfigDir() */
  configDir?: string
  /** The database file. @default `<configDir>/strata.db` */
  path?: string
  /**
   * How long a write waits for another process's write to finish.
   * @default `STRATA_STORE_BUSY_TIMEOUT_MS`, else 30000
   */
  busyTimeoutMs?: number
  /**
   * Whether every commit is synced to disk (`full`) or only the write-ahead log's checkpoints (`normal`).
   * @default `STRATA_STORE_SYNCHRONOUS`, else 'normal'
   */
  synchronous?: StoreSynchronous
  /** How the store directory's filesystem is found (network filesystems are refused). @default the real one */
  filesystem?: FilesystemProbe
  /**
   * The key for secret values, or a function returning it (called once, on first encryption or decryption).
   * @default loadSecretsKey({ configDir })
   */
  secretsKey?: Buffer | (() => Buffer)
}

/** The synchronous SQLite repositories, shared by the store and its transactions. */
interface SqliteRepositories {
  stacks: SqliteStackRepository
  components: SqliteComponentRepository
  flavors: SqliteFlavorRepository
  secrets: SqliteSecretRepository
  settings: SqliteSettingsRepository
  runs: SqliteRunRepository
  artifacts: SqliteArtifactRepository
  models: SqliteModelRepository
  schedules: SqliteScheduleRepository
}

/**
 * The embedded metadata store: one SQLite file in WAL mode. Reads never block; every write runs in a
 * `BEGIN IMMEDIATE` transaction (taking the write lock up front, so concurrent processes queue on the busy
 * timeout instead of failing with "database is locked"); a failure rolls the whole transaction back.
 *
 * One connection serves the whole process, so transactions are serialised: while one is open, every other
 * call on the store waits for it, in call order (see `TransactionQueue`).
 */
export class SqliteStore implements MetadataStore {
  readonly dialect = 'sqlite'
  readonly path: string
  readonly configDir: string
  readonly stacks: StackRepository
  readonly components: ComponentRepository
  readonly flavors: FlavorRepository
  readonly secrets: SecretRepository
  readonly settings: SettingsRepository
  readonly runs: RunRepository
  readonly artifacts: ArtifactRepository
  readonly models: ModelRepository
  readonly schedules: ScheduleRepository
  readonly #database: SqliteDatabase
  readonly #sqlite: SqliteRepositories
  readonly #queue: TransactionQueue
  /** The innermost transaction the running async code is in; created with the first transaction. */
  #context: AsyncLocalStorage<TransactionQueue> | undefined
  #open = true

  private constructor(
    db: DatabaseSync,
    location: StoreLocation,
    configDir: string,
    secretsKey: () => Buffer,
  ) {
    this.path = location.path
    this.configDir = configDir
    this.#database = new SqliteDatabase(db, location)
    const database = this.#database
    this.#sqlite = {
      stacks: new SqliteStackRepository(database),
      components: new SqliteComponentRepository(database),
      flavors: new SqliteFlavorRepository(database),
      secrets: new SqliteSecretRepository(database, secretsKey),
      settings: new SqliteSettingsRepository(database),
      runs: new SqliteRunRepository(database),
      artifacts: new SqliteArtifactRepository(database),
      models: new SqliteModelRepository(database),
      schedules: undefined as unknown as SqliteScheduleRepository,
    }
    const runs = this.#sqlite.runs
    this.#sqlite.schedules = new SqliteScheduleRepository(database, (name) => runs.ensurePipeline(name))
    this.#queue = new TransactionQueue(() => this.#context?.getStore())
    const repositories = this.#repositories(this.#queue)
    this.stacks = repositories.stacks
    this.components = repositories.components
    this.flavors = repositories.flavors
    this.secrets = repositories.secrets
    this.settings = repositories.settings
    this.runs = repositories.runs
    this.artifacts = repositories.artifacts
    this.models = repositories.models
    this.schedules = repositories.schedules
  }

  /**
   * Opens the store, migrating it when it is older than this Strata. A store is created only where no file
   * exists; an existing file that is not a store (empty, cut short, not SQLite, another program's database,
   * damaged pages SQLite meets on the way) is refused, never started over. Opening checks no more than that
   * costs (a stat, SQLite's own header checks); after a crash left a write-ahead log behind, the first
   * process to open the store also runs `PRAGMA quick_check` on it.
   * @throws StrataError `NODE_VERSION`, `NETWORK_FILESYSTEM`, `STORE_TOO_NEW`, `STORE_DAMAGED`, `STORE_BUSY`
   * or `STORE_OPEN_FAILED`
   */
  static open(options: OpenStoreOptions = {}): SqliteStore {
    assertSupportedNode()
    const configDir = options.configDir ?? resolveConfigDir()
    const path = options.path ?? join(configDir, 'strata.db')
    const location = { path, busyTimeoutMs: options.busyTimeoutMs ?? busyTimeoutFromEnv(process.env) }
    const synchronous = options.synchronous ?? synchronousFromEnv(process.env)
    mkdirSync(configDir, { recursive: true, mode: 0o700 })
    refuseNetworkFilesystem(configDir, process.env, options.filesystem)
    // Node's built-in SQLite: no native package to install, and it opens in under a millisecond (a native
    // binding took ~8 ms, a sixth of the start-up budget of `strata stack list`). Loaded after the Node check.
    const sqlite = process.getBuiltinModule('node:sqlite') as typeof import('node:sqlite')
    if (!checkStoreFile(path)) createStoreFile(sqlite, path)
    const recovering = hotWriteAheadLog(path)
    let db: DatabaseSync | undefined
    let version = 0
    try {
      // mode=rw: a file removed since the check above is an error, not a new empty database.
      db = new sqlite.DatabaseSync(existingFileUrl(path), {
        timeout: location.busyTimeoutMs,
        enableForeignKeyConstraints: true,
      })
      // Before the pragmas: switching to WAL would write to another program's database.
      const known = storeVersion(db)
      if ('problem' in known) throw damagedStore(path, known.problem)
      version = known.version
      db.exec(CONNECTION_PRAGMAS)
      if (synchronous === 'full') db.exec('PRAGMA synchronous = FULL')
      if (recovering) {
        const found = db.prepare('PRAGMA quick_check(5)').all() as Array<{ quick_check: string }>
        if (found[0]?.quick_check !== 'ok') {
          throw damagedStore(
            path,
            `after recovering the write-ahead log a crash left (${path}-wal), SQLite finds: ${found.map((row) => row.quick_check).join('; ')}`,
          )
        }
      }
    } catch (error) {
      closeRefused(sqlite, db, path)
      throw storeError(error, location)
    }
    try {
      chmodSync(path, 0o600)
    } catch {}
    const given = options.secretsKey
    let key: Buffer | undefined = typeof given === 'function' ? undefined : given
    const secretsKey = () => {
      key ??= typeof given === 'function' ? given() : loadSecretsKey({ configDir })
      return key
    }
    const store = new SqliteStore(db, location, configDir, secretsKey)
    store.#migrate(version)
    return store
  }

  /** The database file. */
  get location(): string {
    return this.path
  }

  /** The open connection, for tests and tools that need SQL (triggers, pragmas). */
  get db(): DatabaseSync {
    return this.#database.db
  }

  /** The schema version of the open store. */
  get schemaVersion(): number {
    return this.#database.get<{ user_version: number }>('PRAGMA user_version')?.user_version ?? 0
  }

  /** Migrates a store at schema version `current` (read on open) to this Strata's. */
  #migrate(current: number): void {
    if (current > STORE_SCHEMA_VERSION) {
      this.#closeNow()
      throw new StrataError(
        'STORE_TOO_NEW',
        `the Strata store at ${this.path} has schema version ${current}, but this Strata knows only up to ${STORE_SCHEMA_VERSION} — upgrade Strata (pnpm add -D @strata/cli@latest @strata/sdk@latest), or point STRATA_CONFIG_DIR at another store`,
      )
    }
    if (current === STORE_SCHEMA_VERSION) return
    try {
      this.#database.transaction(() => {
        // Another process may have migrated while this one waited for the write lock.
        applyMigrations(this.db, this.schemaVersion)
      })
    } catch (error) {
      this.#closeNow()
      throw storeError(error, this.#database.location)
    }
  }

  transaction<T>(fn: (tx: StoreTransaction) => Promise<T> | T): Promise<T> {
    return this.#transaction(this.#queue, fn)
  }

  /**
   * One transaction level at `level` (the store, or an open transaction): waits for the level's queue,
   * opens `BEGIN IMMEDIATE` (or a savepoint), runs `fn` with repositories bound to a new level below, lets
   * calls still queued there finish, then commits; any failure rolls the level back.
   */
  #transaction<T>(level: TransactionQueue, fn: (tx: StoreTransaction) => Promise<T> | T): Promise<T> {
    return level.exclusive(async () => {
      const inner = new TransactionQueue(() => this.#context?.getStore(), level)
      const tx = this.#repositories(inner)
      this.#context ??= new (process.getBuiltinModule('node:async_hooks').AsyncLocalStorage)()
      const open = this.#database.begin()
      let result: T
      try {
        result = await this.#context.run(inner, () => fn(tx))
        await inner.end()
      } catch (error) {
        await inner.end()
        open.rollback()
        throw error
      }
      open.commit()
      return result
    })
  }

  #repositories(queue: TransactionQueue): StoreRepositories {
    return new SqliteSession(this.#sqlite, queue, (level, fn) => this.#transaction(level, fn))
  }

  /**
   * Every row of every table, sorted: a logical dump that tests compare to prove that a failed command
   * left the store as it was.
   */
  dump(): Record<string, Row[]> {
    const tables = this.#database.all<{ name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    const dump: Record<string, Row[]> = {}
    for (const { name } of tables) {
      const rows = this.#database.all(`SELECT * FROM "${name}"`)
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

  /**
   * Copies the store into a self-contained file at `destination` with SQLite's online backup, while other
   * processes go on writing: the copy is one consistent moment of the store, checked, readable by this user
   * only, and appears whole or not at all. Secret values stay sealed: they open only with this store's
   * secrets key, which is not in the copy.
   * @throws StrataError `STORE_BACKUP_EXISTS` when `destination` exists and `force` is not set
   */
  backup(destination: string, options: { force?: boolean } = {}): Promise<{ path: string; bytes: number }> {
    return this.#queue.exclusive(() => backupDatabase(this.db, this.path, destination, options))
  }

  /**
   * Replaces the store with a backup (see {@link restoreDatabase}); the replaced store is kept beside it.
   * Opens no store: it is the way out of a damaged one.
   * @throws StrataError `STORE_BACKUP_INVALID`, `STORE_IN_USE`
   */
  static restore(options: {
    from: string
    configDir?: string
    path?: string
    now?: Date
  }): Promise<RestoreResult> {
    assertSupportedNode()
    const configDir = options.configDir ?? resolveConfigDir()
    mkdirSync(configDir, { recursive: true, mode: 0o700 })
    return restoreDatabase({
      from: options.from,
      path: options.path ?? join(configDir, 'strata.db'),
      ...(options.now ? { now: options.now } : {}),
    })
  }

  /**
   * Checks the store's file without opening it as a store (nothing is migrated or created): SQLite's
   * integrity check of every page and index, its schema version, its tables and references.
   */
  static check(options: { configDir?: string; path?: string } = {}): StoreInspection {
    assertSupportedNode()
    const path = options.path ?? join(options.configDir ?? resolveConfigDir(), 'strata.db')
    return inspectStoreFile(path)
  }

  /** `PRAGMA integrity_check`: `'ok'` for a healthy file. */
  integrityCheck(): string {
    return (
      this.#database.get<{ integrity_check: string }>('PRAGMA integrity_check')?.integrity_check ??
      'no answer'
    )
  }

  /** Closes the store: now when no transaction is open, else once the calls queued before this one ran. */
  close(): Promise<void> {
    if (!this.#open) return Promise.resolve()
    if (this.#queue.idle) {
      this.#closeNow()
      return Promise.resolve()
    }
    return this.#queue.exclusive(async () => this.#closeNow())
  }

  #closeNow(): void {
    if (!this.#open) return
    this.#open = false
    this.#database.close()
  }
}

type OpenTransaction = <T>(
  level: TransactionQueue,
  fn: (tx: StoreTransaction) => Promise<T> | T,
) => Promise<T>

/**
 * The async repositories over the SQLite ones, their calls ordered by one level's queue (the store's, or an
 * open transaction's). Each is built on first use: a transaction usually touches two or three.
 */
class SqliteSession implements StoreRepositories {
  readonly #sqlite: SqliteRepositories
  readonly #queue: TransactionQueue
  readonly #open: OpenTransaction
  #stacks: StackRepository | undefined
  #components: ComponentRepository | undefined
  #flavors: FlavorRepository | undefined
  #secrets: SecretRepository | undefined
  #settings: SettingsRepository | undefined
  #runs: RunRepository | undefined
  #artifacts: ArtifactRepository | undefined
  #models: ModelRepository | undefined
  #schedules: ScheduleRepository | undefined

  constructor(sqlite: SqliteRepositories, queue: TransactionQueue, open: OpenTransaction) {
    this.#sqlite = sqlite
    this.#queue = queue
    this.#open = open
  }

  get stacks(): StackRepository {
    this.#stacks ??= queued<StackRepository>(this.#sqlite.stacks, this.#queue)
    return this.#stacks
  }

  get components(): ComponentRepository {
    this.#components ??= queued<ComponentRepository>(this.#sqlite.components, this.#queue)
    return this.#components
  }

  get flavors(): FlavorRepository {
    this.#flavors ??= queued<FlavorRepository>(this.#sqlite.flavors, this.#queue)
    return this.#flavors
  }

  get secrets(): SecretRepository {
    this.#secrets ??= queued<SecretRepository>(this.#sqlite.secrets, this.#queue)
    return this.#secrets
  }

  get settings(): SettingsRepository {
    this.#settings ??= queued<SettingsRepository>(this.#sqlite.settings, this.#queue)
    return this.#settings
  }

  get runs(): RunRepository {
    this.#runs ??= queued<RunRepository>(this.#sqlite.runs, this.#queue)
    return this.#runs
  }

  get artifacts(): ArtifactRepository {
    this.#artifacts ??= queued<ArtifactRepository>(this.#sqlite.artifacts, this.#queue)
    return this.#artifacts
  }

  get models(): ModelRepository {
    this.#models ??= queued<ModelRepository>(this.#sqlite.models, this.#queue)
    return this.#models
  }

  get schedules(): ScheduleRepository {
    this.#schedules ??= queued<ScheduleRepository>(this.#sqlite.schedules, this.#queue)
    return this.#schedules
  }

  transaction<T>(fn: (tx: StoreTransaction) => Promise<T> | T): Promise<T> {
    return this.#open(this.#queue, fn)
  }
}
