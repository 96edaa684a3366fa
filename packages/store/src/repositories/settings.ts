import type { SqliteStore } from '../sqlite-store.js'

/** Keys of the `settings` table that Strata itself uses. */
export const SETTING_KEYS = {
  /** The id of the user's active stack (an id, so renaming the stack keeps it active). */
  activeStack: 'active_stack_id',
} as const

/** Name/value settings of one store (the user's active stack, ...). Values are strings. */
export class SettingsRepository {
  readonly #store: SqliteStore

  constructor(store: SqliteStore) {
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
