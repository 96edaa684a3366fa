import { artifactStoreConformance } from '@strata/testing'
import { afterAll, beforeAll, describe } from 'vitest'
import { s3ArtifactStore } from './s3-artifact-store-flavor.js'
import {
  createBucket,
  flavorContext,
  MOTO_CREDENTIALS,
  rawClient,
  startMoto,
} from './s3-test-servers.test-helpers.js'

const { server, skip } = await startMoto()
const bucket = 'strata-conformance'

describe.skipIf(skip)('s3 artifact store on moto', () => {
  beforeAll(async () => {
    await createBucket(rawClient(server!.url), bucket)
  })
  afterAll(async () => {
    await server?.stop()
  })

  artifactStoreConformance({
    name: 's3 (moto)',
    create: () =>
      s3ArtifactStore.create(
        s3ArtifactStore.config.parse({ path: `s3://${bucket}`, endpoint: server!.url, ...MOTO_CREDENTIALS }),
        flavorContext(),
      ),
  })
})
