import { resolve } from 'node:path'
import { artifactStorePipelineSuite } from '@strata/testing/orchestrator'
import { MOTO_CREDENTIALS, startMoto } from '@strata/testing/servers'
import { afterAll } from 'vitest'
import { createBucket, rawClient } from './s3-client.test-helpers.js'

const { server, skip } = await startMoto()
if (server) await createBucket(rawClient(server.url), 'pipelines')
afterAll(() => server?.stop())

artifactStorePipelineSuite({
  name: 's3 (moto)',
  packageDir: resolve(import.meta.dirname, '..'),
  flavor: 's3',
  skip,
  secrets: () => ({
    aws: { access_key_id: MOTO_CREDENTIALS.accessKeyId, secret_access_key: 'canary-secret-9d2f7e' },
  }),
  config: () => ({
    path: 's3://pipelines/team/artifacts',
    endpoint: server?.url,
    region: 'us-east-1',
    forcePathStyle: true,
    accessKeyId: '{{aws.access_key_id}}',
    secretAccessKey: '{{aws.secret_access_key}}',
  }),
})
