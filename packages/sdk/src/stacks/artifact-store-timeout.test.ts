import { describe, expect, it } from 'vitest'
import { artifactStoreTimeout } from './artifact-store-timeout.js'

describe('STRATA_ARTIFACT_STORE_TIMEOUT_MS', () => {
  it('sets the bound of artifact store calls, and is refused when it is not a positive number', () => {
    expect(artifactStoreTimeout({})).toEqual({})
    expect(artifactStoreTimeout({ STRATA_ARTIFACT_STORE_TIMEOUT_MS: '2500' })).toEqual({ timeoutMs: 2500 })
    for (const bad of ['0', '-1', 'soon', 'NaN']) {
      expect(() => artifactStoreTimeout({ STRATA_ARTIFACT_STORE_TIMEOUT_MS: bad })).toThrow(
        `STRATA_ARTIFACT_STORE_TIMEOUT_MS must be a positive number of milliseconds — got '${bad}'`,
      )
    }
  })
})
