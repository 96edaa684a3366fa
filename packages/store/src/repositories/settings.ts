/** Keys of the `settings` table that Strata itself uses. */
export const SETTING_KEYS = {
  /** The id of the user's active stack (an id, so renaming the stack keeps it active). */
  activeStack: 'active_stack_id',
} as const

/** Name/value settings of one store (the user's active stack, ...). Values are strings. */
export interface SettingsRepository {
  /** The value, or `undefined` when the setting is not set. */
  get(key: string): Promise<string | undefined>
  set(key: string, value: string): Promise<void>
  /** Removes the setting; returns whether it was set. */
  delete(key: string): Promise<boolean>
}
