import { StrataError } from '@strata/core/base'
import { crypto } from '../lazy-crypto.js'
import { now, type SqliteStore } from '../sqlite-store.js'
import { type ListOptions, listClause } from './list-options.js'

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

interface SecretRow {
  id: string
  name: string
  keys: string
  nonce: Uint8Array
  ciphertext: Uint8Array
  created_at: string
  updated_at: string
}

const SORT_COLUMNS = { name: 'name', created: 'created_at', updated: 'updated_at' }
// Secret and key names are what a `{{name.key}}` reference can spell.
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,127}$/
const TAG_BYTES = 16

function toSummary(row: SecretRow): SecretSummary {
  return {
    id: row.id,
    name: row.name,
    keys: JSON.parse(row.keys) as string[],
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

function checkName(kind: 'secret' | 'key', name: string, secret?: string): void {
  if (NAME.test(name)) return
  const where = kind === 'key' ? ` in secret '${secret}'` : ''
  throw new StrataError(
    'INVALID_SECRET_NAME',
    `invalid ${kind} name '${name}'${where} — use letters, digits, '_' and '-' (so that {{secret.key}} can refer to it)`,
  )
}

/**
 * Secrets: named sets of key/value pairs. Values are encrypted at rest with AES-256-GCM under a key kept
 * outside the database (see `loadSecretsKey`), bound to the secret's id; key names are stored in clear.
 * Synchronous; callers wrap writes in `store.transaction()`.
 */
export class SecretsRepository {
  readonly #store: SqliteStore
  readonly #key: () => Buffer
  #cachedKey: Buffer | undefined

  /** `key` may be a function, so that listing secrets never needs (or creates) the key. */
  constructor(store: SqliteStore, key: Buffer | (() => Buffer)) {
    this.#store = store
    this.#key = typeof key === 'function' ? key : () => key
  }

  list(options: ListOptions<SecretSortField> = {}): SecretSummary[] {
    return this.#store
      .all<SecretRow>(`SELECT * FROM secrets${listClause(options, SORT_COLUMNS)}`)
      .map(toSummary)
  }

  count(): number {
    return this.#store.get<{ n: number }>('SELECT COUNT(*) AS n FROM secrets')!.n
  }

  find(name: string): SecretSummary | undefined {
    const row = this.#row(name)
    return row && toSummary(row)
  }

  /** @throws StrataError `SECRET_NOT_FOUND` with how to create it */
  get(name: string): SecretSummary {
    return toSummary(this.#required(name))
  }

  /**
   * The decrypted values, or `undefined` when no secret has that name.
   * @throws StrataError `SECRET_DECRYPT_FAILED` when the key changed or the row was tampered with
   */
  values(name: string): Record<string, string> | undefined {
    const row = this.#row(name)
    return row && this.#decrypt(row)
  }

  /** @throws StrataError `INVALID_SECRET_NAME`, `SECRET_EXISTS`, `EMPTY_SECRET` */
  create(name: string, values: Readonly<Record<string, string>>): SecretSummary {
    checkName('secret', name)
    if (this.#row(name)) {
      throw new StrataError(
        'SECRET_EXISTS',
        `a secret named '${name}' already exists — change it with 'strata secret update ${name} --KEY=VALUE', or delete it first`,
        { details: { secret: name } },
      )
    }
    const id = crypto().randomUUID()
    const at = now()
    const sealed = this.#encrypt(id, name, values)
    this.#store.run(
      'INSERT INTO secrets (id, name, keys, nonce, ciphertext, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      id,
      name,
      sealed.keys,
      sealed.nonce,
      sealed.ciphertext,
      at,
      at,
    )
    return this.get(name)
  }

  /** @throws StrataError `SECRET_NOT_FOUND`, `INVALID_SECRET_NAME`, `SECRET_KEY_NOT_FOUND`, `EMPTY_SECRET` */
  update(name: string, changes: SecretChanges): SecretSummary {
    const row = this.#required(name)
    const values = this.#decrypt(row)
    for (const key of changes.remove ?? []) {
      if (!(key in values)) {
        throw new StrataError(
          'SECRET_KEY_NOT_FOUND',
          `secret '${name}' has no key '${key}' to remove — its keys are: ${Object.keys(values).sort().join(', ')}`,
        )
      }
      delete values[key]
    }
    Object.assign(values, changes.set)
    const sealed = this.#encrypt(row.id, name, values)
    this.#store.run(
      'UPDATE secrets SET keys = ?, nonce = ?, ciphertext = ?, updated_at = ? WHERE id = ?',
      sealed.keys,
      sealed.nonce,
      sealed.ciphertext,
      now(),
      row.id,
    )
    return this.get(name)
  }

  /** @throws StrataError `SECRET_NOT_FOUND` */
  delete(name: string): void {
    this.#store.run('DELETE FROM secrets WHERE id = ?', this.#required(name).id)
  }

  #row(name: string): SecretRow | undefined {
    return this.#store.get<SecretRow>('SELECT * FROM secrets WHERE name = ?', name)
  }

  #required(name: string): SecretRow {
    const row = this.#row(name)
    if (row) return row
    throw new StrataError(
      'SECRET_NOT_FOUND',
      `no secret named '${name}' — see 'strata secret list', or create it with 'strata secret create ${name} --KEY=VALUE'`,
      { details: { secret: name } },
    )
  }

  #keyBytes(): Buffer {
    this.#cachedKey ??= this.#key()
    return this.#cachedKey
  }

  #encrypt(
    id: string,
    name: string,
    values: Readonly<Record<string, string>>,
  ): { keys: string; nonce: Buffer; ciphertext: Buffer } {
    const keys = Object.keys(values).sort()
    if (keys.length === 0) {
      throw new StrataError(
        'EMPTY_SECRET',
        `secret '${name}' would have no keys — give it at least one (--KEY=VALUE), or delete it with 'strata secret delete ${name}'`,
      )
    }
    for (const key of keys) checkName('key', key, name)
    const sorted = Object.fromEntries(keys.map((key) => [key, values[key]]))
    const nonce = crypto().randomBytes(12)
    const cipher = crypto().createCipheriv('aes-256-gcm', this.#keyBytes(), nonce)
    cipher.setAAD(Buffer.from(`strata-secret:v1:${id}`))
    const ciphertext = Buffer.concat([
      cipher.update(JSON.stringify(sorted), 'utf8'),
      cipher.final(),
      cipher.getAuthTag(),
    ])
    return { keys: JSON.stringify(keys), nonce, ciphertext }
  }

  #decrypt(row: SecretRow): Record<string, string> {
    try {
      const decipher = crypto().createDecipheriv('aes-256-gcm', this.#keyBytes(), row.nonce)
      decipher.setAAD(Buffer.from(`strata-secret:v1:${row.id}`))
      decipher.setAuthTag(row.ciphertext.subarray(row.ciphertext.length - TAG_BYTES))
      const plain = Buffer.concat([
        decipher.update(row.ciphertext.subarray(0, row.ciphertext.length - TAG_BYTES)),
        decipher.final(),
      ])
      return JSON.parse(plain.toString('utf8')) as Record<string, string>
    } catch (error) {
      if (error instanceof StrataError) throw error
      throw new StrataError(
        'SECRET_DECRYPT_FAILED',
        `cannot decrypt secret '${row.name}': the secrets key is not the one it was saved with — restore the original secrets.key (or STRATA_SECRETS_KEY), or delete and re-create the secret`,
      )
    }
  }
}
