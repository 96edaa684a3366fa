import { quote, StrataError } from '@strata/core/base'
import { crypto } from '../lazy-crypto.js'

// Secret and key names are what a `{{name.key}}` reference can spell.
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,127}$/
const TAG_BYTES = 16

/** A secret's values as stored: key names in clear, the values sealed. */
export interface SealedSecret {
  /** The key names, sorted, as JSON. */
  keys: string
  nonce: Buffer
  /** AES-256-GCM ciphertext followed by its 16-byte tag. */
  ciphertext: Buffer
}

/**
 * Checks a secret name, or a key name inside secret `secret`.
 * @throws StrataError `INVALID_SECRET_NAME` with the rule
 */
export function checkSecretName(kind: 'secret' | 'key', name: string, secret?: string): void {
  if (NAME.test(name)) return
  const where = kind === 'key' ? ` in secret ${quote(secret)}` : ''
  throw new StrataError(
    'INVALID_SECRET_NAME',
    `invalid ${kind} name ${quote(name)}${where} — use letters, digits, '_' and '-' (so that {{secret.key}} can refer to it)`,
  )
}

/**
 * Encrypts a secret's values with AES-256-GCM, bound to the secret's id (so a row's ciphertext cannot be
 * moved to another secret). `key` is asked for only once the values are known to be valid.
 * @throws StrataError `EMPTY_SECRET`, `INVALID_SECRET_NAME` for a key name
 */
export function sealSecret(
  key: () => Buffer,
  id: string,
  name: string,
  values: Readonly<Record<string, string>>,
): SealedSecret {
  const keys = Object.keys(values).sort()
  if (keys.length === 0) {
    throw new StrataError(
      'EMPTY_SECRET',
      `secret '${name}' would have no keys — give it at least one (--KEY=VALUE), or delete it with 'strata secret delete ${name}'`,
    )
  }
  for (const keyName of keys) checkSecretName('key', keyName, name)
  const sorted = Object.fromEntries(keys.map((keyName) => [keyName, values[keyName]]))
  const nonce = crypto().randomBytes(12)
  const cipher = crypto().createCipheriv('aes-256-gcm', key(), nonce)
  cipher.setAAD(Buffer.from(`strata-secret:v1:${id}`))
  const ciphertext = Buffer.concat([
    cipher.update(JSON.stringify(sorted), 'utf8'),
    cipher.final(),
    cipher.getAuthTag(),
  ])
  return { keys: JSON.stringify(keys), nonce, ciphertext }
}

/**
 * Decrypts what {@link sealSecret} sealed.
 * @throws StrataError `SECRET_DECRYPT_FAILED` when the key changed or the row was tampered with
 */
export function openSecret(
  key: () => Buffer,
  sealed: { id: string; name: string; nonce: Uint8Array; ciphertext: Uint8Array },
): Record<string, string> {
  try {
    const decipher = crypto().createDecipheriv('aes-256-gcm', key(), sealed.nonce)
    decipher.setAAD(Buffer.from(`strata-secret:v1:${sealed.id}`))
    decipher.setAuthTag(sealed.ciphertext.subarray(sealed.ciphertext.length - TAG_BYTES))
    const plain = Buffer.concat([
      decipher.update(sealed.ciphertext.subarray(0, sealed.ciphertext.length - TAG_BYTES)),
      decipher.final(),
    ])
    return JSON.parse(plain.toString('utf8')) as Record<string, string>
  } catch (error) {
    if (error instanceof StrataError) throw error
    throw new StrataError(
      'SECRET_DECRYPT_FAILED',
      `cannot decrypt secret '${sealed.name}': the secrets key is not the one it was saved with — restore the original secrets.key (or STRATA_SECRETS_KEY), or delete and re-create the secret`,
    )
  }
}
