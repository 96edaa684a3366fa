import type { SettingsRepository } from '../repositories/settings.js'
import type { Synchronous } from './queued-repository.js'
import type { SqliteDatabase } from './sqlite-database.js'

/** Name/value settings in SQLite. */
export class SqliteSettingsRepository implements Synchronous<SettingsRepository> {
  readonly #store: SqliteDatabase

  constructor(store: SqliteDatabase) {
    this.#store = store
  }

  /** The value, or `undefined` when the setting is not set. */
  get(key: string): string | undefined {
    return this.#store.get<{ value: string }>('SELECT value FROM settings WHERE key = ?', key)?.value
  }

  set(key: string, value: string): void {
    this.#store.run(
      'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      key,
      value,
    )
  }

  /** Removes the setting; returns whether it was set. */
  delete(key: string): boolean {
    return this.#store.run('DELETE FROM settings WHERE key = ?', key) > 0
  }
}
