import type { ArtifactRepository } from './repositories/artifacts.js'
import type { ComponentRepository } from './repositories/components.js'
import type { FlavorRepository } from './repositories/flavors.js'
import type { ModelRepository } from './repositories/models.js'
import type { RunRepository } from './repositories/runs.js'
import type { ScheduleRepository } from './repositories/schedules.js'
import type { SecretRepository } from './repositories/secrets.js'
import type { SettingsRepository } from './repositories/settings.js'
import type { StackRepository } from './repositories/stacks.js'

/**
 * The repositories of a metadata store, and transactions over them: what the store offers, and what a
 * transaction offers bound to itself. Every method is asynchronous, whatever the dialect underneath.
 */
export interface StoreRepositories {
  readonly stacks: StackRepository
  readonly components: ComponentRepository
  readonly flavors: FlavorRepository
  readonly secrets: SecretRepository
  readonly settings: SettingsRepository
  readonly runs: RunRepository
  readonly artifacts: ArtifactRepository
  readonly models: ModelRepository
  readonly schedules: ScheduleRepository
  /**
   * Runs `fn` in one write transaction: everything it does through `tx` commits when it returns, or
   * nothing does when it throws. Called on a transaction, it opens a savepoint of that transaction (a
   * failure inside rolls back only the savepoint's work; the error still reaches the caller).
   *
   * Inside `fn`, use `tx`, never the store: a store call waits for the open transaction to end. Calls on
   * `tx` that are still pending when `fn` returns finish before the commit; `tx` refuses calls after it.
   * @throws whatever `fn` throws, after the rollback; StrataError `STORE_CALL_IN_TRANSACTION` for a call
   *   made inside `fn` on the store instead of `tx`
   */
  transaction<T>(fn: (tx: StoreTransaction) => Promise<T> | T): Promise<T>
}

/** The repositories bound to one open transaction (or savepoint); see {@link StoreRepositories.transaction}. */
export type StoreTransaction = StoreRepositories

/**
 * Strata's metadata store: stacks, components, custom flavors, secrets, settings, runs, artifacts and
 * models, behind one asynchronous interface that every dialect implements (`SqliteStore`, the embedded
 * default; a PostgreSQL dialect for shared use later). How a store is opened is the dialect's own.
 */
export interface MetadataStore extends StoreRepositories {
  /** Which implementation this is, e.g. `sqlite`. */
  readonly dialect: string
  /** Where the store lives, for messages: a file path, or a URL without credentials. */
  readonly location: string
  /** The schema version of the open store (migrated on open). */
  readonly schemaVersion: number
  /** Closes the store once the calls already made have finished. */
  close(): Promise<void>
}
