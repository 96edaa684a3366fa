import type { FlavorContext, Logger } from '@strata/core'
import { recordingLogger, testFlavorContext } from '@strata/testing'

// With an apiEndpoint the client sends no credentials, but nothing in a test may ever go looking for the
// GCE metadata server (a non-loopback address).
process.env.METADATA_SERVER_DETECTION = 'none'

/** The context of a component named `test-gcs`, as the tests' messages expect. */
export function flavorContext(logger: Logger = recordingLogger()): FlavorContext {
  return testFlavorContext('test-gcs', { logger })
}
