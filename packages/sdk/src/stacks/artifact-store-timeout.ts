import { StrataError } from '@strata/core/base'

/**
 * The bound on every artifact store call that `STRATA_ARTIFACT_STORE_TIMEOUT_MS` sets (see
 * `ArtifactStoreHostOptions.timeoutMs`), as host options: none when it is unset.
 * @throws StrataError `INVALID_CONFIG` when it is not a positive number of milliseconds
 */
export function artifactStoreTimeout(env: NodeJS.ProcessEnv = process.env): { timeoutMs?: number } {
  const text = env.STRATA_ARTIFACT_STORE_TIMEOUT_MS
  if (text === undefined || text === '') return {}
  const value = Number(text)
  if (!Number.isFinite(value) || value <= 0) {
    throw new StrataError(
      'INVALID_CONFIG',
      `STRATA_ARTIFACT_STORE_TIMEOUT_MS must be a positive number of milliseconds — got '${text.slice(0, 40)}'`,
    )
  }
  return { timeoutMs: value }
}
