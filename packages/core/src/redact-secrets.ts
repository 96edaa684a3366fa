import { MASK } from './secret-reference.js'

/** Secret values shorter than this are not redacted: masking `a` everywhere would garble every message. */
const MIN_SECRET_LENGTH = 4

/** Replaces every occurrence of the secret values in `text` with `********`. */
export function redactText(text: string, secrets: readonly string[]): string {
  let result = text
  for (const value of secrets) {
    if (value.length >= MIN_SECRET_LENGTH) result = result.replaceAll(value, MASK)
  }
  return result
}

/**
 * Scrubs secret values out of a vendor error in place (message, stack, string properties, nested errors
 * and `cause`s), so that wrapping it as `cause` cannot leak them: S3 servers echo the access key id in
 * error bodies (and SDKs copy those fields onto the error), auth libraries may quote the key material they
 * failed to use, and request options (with credentials) hang off HTTP errors.
 */
export function redactError<T>(error: T, secrets: readonly string[], depth = 0): T {
  if (depth > 4 || typeof error !== 'object' || error === null) return error
  if (!secrets.some((value) => value.length >= MIN_SECRET_LENGTH)) return error
  const record = error as Record<string, unknown>
  for (const name of Object.getOwnPropertyNames(error)) {
    let value: unknown
    try {
      value = record[name]
    } catch {
      continue
    }
    try {
      if (typeof value === 'string') record[name] = redactText(value, secrets)
      else if (typeof value === 'object' && value !== null && name !== '$response')
        redactError(value, secrets, depth + 1)
    } catch {
      // A read-only property: leave it, the message and stack were the ones that mattered.
    }
  }
  return error
}
