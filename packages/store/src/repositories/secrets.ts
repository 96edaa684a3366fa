import type { ListOptions } from './list-options.js'

/** A secret as lists show it: its key names, never its values. */
export interface SecretSummary {
  id: string
  name: string
  /** Key names, sorted. Names are stored in clear; values only encrypted. */
  keys: string[]
  createdAt: string
  updatedAt: string
}

export type SecretSortField = 'name' | 'created' | 'updated'

/** Changes to a secret: keys to set (added or replaced) and keys to remove. */
export interface SecretChanges {
  set?: Readonly<Record<string, string>>
  remove?: readonly string[]
}

/**
 * Secrets: named sets of key/value pairs. Values are encrypted at rest (see `sealSecret`) under a key kept
 * outside the store (see `loadSecretsKey`); key names are stored in clear.
 */
export interface SecretRepository {
  list(options?: ListOptions<SecretSortField>): Promise<SecretSummary[]>
  count(): Promise<number>
  find(name: string): Promise<SecretSummary | undefined>
  /** @throws StrataError `SECRET_NOT_FOUND` with how to create it */
  get(name: string): Promise<SecretSummary>
  /**
   * The decrypted values, or `undefined` when no secret has that name.
   * @throws StrataError `SECRET_DECRYPT_FAILED` when the key changed or the row was tampered with
   */
  values(name: string): Promise<Record<string, string> | undefined>
  /** @throws StrataError `INVALID_SECRET_NAME`, `SECRET_EXISTS`, `EMPTY_SECRET` */
  create(name: string, values: Readonly<Record<string, string>>): Promise<SecretSummary>
  /** @throws StrataError `SECRET_NOT_FOUND`, `INVALID_SECRET_NAME`, `SECRET_KEY_NOT_FOUND`, `EMPTY_SECRET` */
  update(name: string, changes: SecretChanges): Promise<SecretSummary>
  /** @throws StrataError `SECRET_NOT_FOUND` */
  delete(name: string): Promise<void>
}
