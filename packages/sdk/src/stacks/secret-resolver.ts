import type { SecretResolver } from '@strata/core'
import type { SecretRepository } from '@strata/store'

/**
 * A {@link SecretResolver} backed by the store's secrets: what stack validation and `createComponent` use
 * to turn `{{secret.key}}` references into values. Values are decrypted on demand and cached for the
 * resolver's lifetime (one command or one run).
 */
export function storeSecretResolver(
  secrets: SecretRepository,
  options: StoreSecretResolverOptions = {},
): SecretResolver {
  const cache = new Map<string, Readonly<Record<string, string>> | undefined>()
  return {
    async getSecret(name) {
      if (!cache.has(name)) {
        const values = await secrets.values(name)
        if (values) options.onResolve?.(Object.values(values))
        cache.set(name, values)
      }
      return cache.get(name)
    },
  }
}

export interface StoreSecretResolverOptions {
  /** Called with the values of each secret read, so that a caller can scrub them from its output. */
  onResolve?(values: string[]): void
}

/** A reference whose secret, or key in it, is missing from the store. */
export interface MissingSecret {
  secret: string
  key: string
}

/** Which of `references` the store cannot resolve. Reads key names only: decrypts nothing. */
export async function missingSecrets(
  secrets: SecretRepository,
  references: ReadonlyArray<{ secret: string; key: string }>,
): Promise<MissingSecret[]> {
  const missing: MissingSecret[] = []
  const seen = new Set<string>()
  for (const reference of references) {
    const id = `${reference.secret}.${reference.key}`
    if (seen.has(id)) continue
    seen.add(id)
    if (!(await secrets.find(reference.secret))?.keys.includes(reference.key)) missing.push({ ...reference })
  }
  return missing
}
