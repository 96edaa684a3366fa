import { join } from 'node:path'
import { StrataError } from '@strata/core/base'
import { crypto } from '../lazy-crypto.js'

// Not `import ... from 'node:fs'`: building that ESM facade loads fs/promises (~3 ms), a tenth of the
// start-up budget of `strata stack list`; getBuiltinModule hands over the already-loaded module.
const { chmodSync, linkSync, readFileSync, statSync, unlinkSync, writeFileSync } =
  process.getBuiltinModule('node:fs')

/** The file holding the key that encrypts secret values, beside (never inside) the database. */
export const SECRETS_KEY_FILE = 'secrets.key'

const GENERATE = `node -e "console.log(require('node:crypto').randomBytes(32).toString('base64'))"`

export interface SecretsKeyOptions {
  /** The Strata config directory (where the store and the key file live). */
  configDir: string
  /** `STRATA_SECRETS_KEY` here overrides the key file. @default process.env */
  env?: NodeJS.ProcessEnv
}

function decode(text: string, where: string): Buffer {
  const trimmed = text.trim()
  const key = /^[0-9a-f]{64}$/i.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64')
  if (key.length === 32) return key
  throw new StrataError(
    'SECRETS_KEY_INVALID',
    `${where} must hold a 32-byte key as base64 or hex — generate one with ${GENERATE}`,
  )
}

/**
 * The 32-byte AES-256-GCM key for secret values: `STRATA_SECRETS_KEY` (base64 or hex) when set, else
 * `<configDir>/secrets.key`, created with 0600 permissions on first use. Several processes creating it at
 * once agree on one key (it is written to a temporary file and hard-linked into place).
 * @throws StrataError `SECRETS_KEY_INVALID` for a malformed key, `SECRETS_KEY_EXPOSED` for a key file
 *   others can read
 */
export function loadSecretsKey(options: SecretsKeyOptions): Buffer {
  const env = options.env ?? process.env
  if (env.STRATA_SECRETS_KEY) return decode(env.STRATA_SECRETS_KEY, 'STRATA_SECRETS_KEY')
  const path = join(options.configDir, SECRETS_KEY_FILE)
  try {
    return readKeyFile(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  const temporary = `${path}.${process.pid}.${crypto().randomBytes(6).toString('hex')}`
  writeFileSync(temporary, `${crypto().randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' })
  try {
    chmodSync(temporary, 0o600)
    linkSync(temporary, path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  } finally {
    unlinkSync(temporary)
  }
  return readKeyFile(path)
}

function readKeyFile(path: string): Buffer {
  const text = readFileSync(path, 'utf8')
  if (process.platform !== 'win32' && (statSync(path).mode & 0o077) !== 0) {
    throw new StrataError(
      'SECRETS_KEY_EXPOSED',
      `the secrets key ${path} can be read by other users — restrict it with 'chmod 600 ${path}'`,
    )
  }
  return decode(text, path)
}
