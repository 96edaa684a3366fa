import { StrataError } from '@strata/core/base'
import { crypto } from '../lazy-crypto.js'
import type { ListOptions } from '../repositories/list-options.js'
import { checkSecretName, openSecret, sealSecret } from '../repositories/secret-crypto.js'
import type {
  SecretChanges,
  SecretRepository,
  SecretSortField,
  SecretSummary,
} from '../repositories/secrets.js'
import { listClause } from './list-clause.js'
import type { Synchronous } from './queued-repository.js'
import { now, type SqliteDatabase } from './sqlite-database.js'

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

function toSummary(row: SecretRow): SecretSummary {
  return {
    id: row.id,
    name: row.name,
    keys: JSON.parse(row.keys) as string[],
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

/** Secrets in SQLite: key names in clear, values sealed with `sealSecret`. */
export class SqliteSecretRepository implements Synchronous<SecretRepository> {
  readonly #store: SqliteDatabase
  /** The secrets key, asked for on first use: listing secrets never needs (or creates) it. */
  readonly #key: () => Buffer

  constructor(store: SqliteDatabase, key: () => Buffer) {
    this.#store = store
    this.#key = key
  }

  list(options: ListOptions<SecretSortField> = {}): SecretSummary[] {
    return this.#store
      .all<SecretRow>(`SELECT * FROM secrets${listClause(options, SORT_COLUMNS)}`)
      .map(toSummary)
  }

  count(): number {
    return this.#store.count('SELECT COUNT(*) AS n FROM secrets')
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
    return row && openSecret(this.#key, row)
  }

  /**
   * @throws StrataError `INVALID_SECRET_NAME`, `SECRET_EXISTS`, `EMPTY_SECRET`, `SECRETS_KEY_MISMATCH` when the
   *   key cannot decrypt the secrets already stored
   */
  create(name: string, values: Readonly<Record<string, string>>): SecretSummary {
    checkSecretName('secret', name)
    if (this.#row(name)) {
      throw new StrataError(
        'SECRET_EXISTS',
        `a secret named '${name}' already exists — change it with 'strata secret update ${name} --KEY=VALUE', or delete it first`,
        { details: { secret: name } },
      )
    }
    this.#checkKeyOpensStored(name)
    const id = crypto().randomUUID()
    const at = now()
    const sealed = sealSecret(this.#key, id, name, values)
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
    const values = openSecret(this.#key, row)
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
    const sealed = sealSecret(this.#key, row.id, name, values)
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

  /**
   * Sealing a secret under a key that cannot open the ones stored would leave the store holding two keys'
   * secrets, of which one set is lost whichever key is kept: refused. Each stored secret is tried (AES-GCM
   * opens thousands a millisecond), so a store mixed before this check is noticed too.
   */
  #checkKeyOpensStored(name: string): void {
    const key = this.#key()
    const unreadable: string[] = []
    for (const row of this.#store.all<SecretRow>('SELECT * FROM secrets ORDER BY name')) {
      try {
        openSecret(() => key, row)
      } catch (error) {
        if ((error as { code?: string }).code !== 'SECRET_DECRYPT_FAILED') throw error
        unreadable.push(row.name)
      }
    }
    if (unreadable.length === 0) return
    const names = unreadable.slice(0, 3).map((secret) => `'${secret}'`)
    const more = unreadable.length > 3 ? ` and ${unreadable.length - 3} more` : ''
    throw new StrataError(
      'SECRETS_KEY_MISMATCH',
      `cannot create secret '${name}': the secrets key in use (STRATA_SECRETS_KEY, else secrets.key in the config directory) cannot decrypt the stored secret${unreadable.length === 1 ? '' : 's'} ${names.join(', ')}${more}, so the store would mix two keys — use the key they were saved with (restore secrets.key, or set STRATA_SECRETS_KEY to it), or delete the secrets it cannot read first ('strata secret delete NAME')`,
      { details: { secret: name, unreadable } },
    )
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
}
