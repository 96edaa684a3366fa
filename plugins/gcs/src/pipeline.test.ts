import { resolve } from 'node:path'
import { artifactStorePipelineSuite } from '@strata/testing/orchestrator'
import { createFakeGcsBucket as createBucket, startFakeGcs } from '@strata/testing/servers'
import { afterAll } from 'vitest'

const { server, skip } = await startFakeGcs()
if (server) await createBucket(server.url, 'pipelines')
afterAll(() => server?.stop())

artifactStorePipelineSuite({
  name: 'gcp (fake-gcs-server)',
  packageDir: resolve(import.meta.dirname, '..'),
  flavor: 'gcp',
  skip,
  config: () => ({
    path: 'gs://pipelines/team/artifacts',
    apiEndpoint: server?.url,
    projectId: 'strata-test',
  }),
})
