// The zod-free part of secrets: references (`{{name.key}}`), the mask, and resolving them. Masking and
// `flavor describe` need only this, so start-up-critical code (`@strata/core/base`) does not load zod.
import { StrataError } from './errors.js'

const NAME = '[A-Za-z0-9_][A-Za-z0-9_-]*'
/** `{{name.key}}`, with the name and the key captured. */
export const SECRET_REFERENCE = new RegExp(`^\\{\\{\\s*(${NAME})\\.(${NAME})\\s*\\}\\}$`)

/** The JSON Schema keyword (and zod metadata key) that marks a secret field. */
export const SECRET_KEYWORD = 'secret'

/** What shows in place of a secret value. */
export const MASK = '********'

export interface SecretReference {
  /** The secret's name in the secrets store. */
  secret: string
  /** The key inside the secret. */
  key: string
}

/** Looks like an attempt at a reference (`{{…}}`), valid or not. */
export function looksLikeSecretReference(value: unknown): value is string {
  return typeof value === 'string' && value.includes('{{') && value.includes('}}')
}

/**
 * Refuses to build a component whose secret fields still hold `{{secret.key}}` references: its config
 * reached `create()` without its secrets resolved. `subject` names the component (`artifact store 'x'`).
 * @throws StrataError `SECRET_NOT_RESOLVED`
 */
export function assertSecretsResolved(subject: string, fields: Record<string, unknown>): void {
  for (const [field, value] of Object.entries(fields)) {
    if (looksLikeSecretReference(value)) {
      throw new StrataError(
        'SECRET_NOT_RESOLVED',
        `${subject}: '${field}' still holds the secret reference ${value} — resolve the config's secrets before creating the component (Strata does this when it loads a stack)`,
      )
    }
  }
}

/** Parses `{{name.key}}`; `undefined` for anything else. */
export function parseSecretReference(value: unknown): SecretReference | undefined {
  if (typeof value !== 'string') return undefined
  const [, secret, key] = SECRET_REFERENCE.exec(value) ?? []
  return secret !== undefined && key !== undefined ? { secret, key } : undefined
}

/** Writes a reference the way a secret field holds it: `{ secret: 'aws', key: 'token' }` → `{{aws.token}}`. */
export function formatSecretReference(reference: SecretReference): string {
  return `{{${reference.secret}.${reference.key}}}`
}

/** Where references get their values: the secrets store, or whatever an orchestrator hands a step. */
export interface SecretResolver {
  /** The secret's key/value pairs, or `undefined` when no secret has that name. */
  getSecret(name: string): Promise<Readonly<Record<string, string>> | undefined>
}

/**
 * Resolves one reference.
 * @throws StrataError `SECRET_NOT_FOUND` naming the secret (and key) and how to create it
 */
export async function resolveSecretReference(
  reference: SecretReference,
  resolver: SecretResolver,
): Promise<string> {
  const values = await resolver.getSecret(reference.secret)
  if (values === undefined) {
    throw new StrataError(
      'SECRET_NOT_FOUND',
      `secret '${reference.secret}' referenced as ${formatSecretReference(reference)} does not exist — create it with 'strata secret create ${reference.secret} --${reference.key}=...' or 'strata stack register-secrets'`,
      { details: { secret: reference.secret, key: reference.key } },
    )
  }
  const value = values[reference.key]
  if (value === undefined) {
    throw new StrataError(
      'SECRET_NOT_FOUND',
      `secret '${reference.secret}' has no key '${reference.key}' (referenced as ${formatSecretReference(reference)}) — add it with 'strata secret update ${reference.secret} --${reference.key}=...'`,
      { details: { secret: reference.secret, key: reference.key } },
    )
  }
  return value
}
