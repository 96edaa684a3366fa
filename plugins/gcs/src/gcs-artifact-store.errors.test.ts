import { generateKeyPairSync } from 'node:crypto'
import { inspect } from 'node:util'
import { ApiError } from '@google-cloud/storage'
import {
  type ArtifactStoreV1,
  type BucketStoreIdentity as GcsStoreIdentity,
  isStrataError,
  type StrataError,
} from '@strata/core'
import { recordingLogger as capturingLogger, freePort } from '@strata/testing'
import { createFakeGcsBucket as createBucket, startFakeGcs } from '@strata/testing/servers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { flavorContext } from './gcs.test-helpers.js'
import { gcsArtifactStore } from './gcs-artifact-store-flavor.js'
import { gcsFailure } from './gcs-errors.js'

const bucket = 'strata-errors'
// A real RSA key, so that the service-account JSON is what a user would paste; its PEM body is the canary.
const privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
  type: 'pkcs8',
  format: 'pem',
}) as string
const CANARY = privateKey.split('\n')[5]!
const serviceAccountKey = JSON.stringify({
  type: 'service_account',
  project_id: 'strata-test',
  private_key_id: 'canary-key-id-7f3a9c',
  private_key: privateKey,
  client_email: 'strata@strata-test.iam.gserviceaccount.com',
})

async function failure(call: () => Promise<unknown>): Promise<StrataError> {
  const thrown = await call().then(
    () => undefined,
    (error: unknown) => error,
  )
  if (!isStrataError(thrown)) throw new Error(`expected a StrataError, got ${inspect(thrown)}`)
  return thrown
}

function expectNoSecret(error: StrataError, logLines: string[]): void {
  const shown = [
    error.message,
    String(error.stack),
    JSON.stringify(error.details),
    inspect(error, { depth: 20 }),
    ...logLines,
  ]
  for (const text of shown) {
    expect(text).not.toContain(CANARY)
    expect(text).not.toContain('canary-key-id-7f3a9c')
  }
}

async function storeWith(
  config: Record<string, unknown>,
  logger = capturingLogger(),
): Promise<ArtifactStoreV1> {
  return gcsArtifactStore.create(
    gcsArtifactStore.config.parse({ projectId: 'strata-test', serviceAccountKey, ...config }),
    flavorContext(logger),
  )
}

describe('gcs artifact store errors: unreachable endpoint', () => {
  it('names the store, the bucket and the fix when nothing listens on the endpoint', async () => {
    const port = await freePort()
    const logger = capturingLogger()
    const store = await storeWith(
      { path: `gs://${bucket}/p`, apiEndpoint: `http://127.0.0.1:${port}`, maxRetries: 1 },
      logger,
    )
    // maxRetries 1: with the default 3 the client backs off ~15 s per call before giving up on a closed port
    // (four calls: past the test's timeout).
    for (const call of [
      () => store.write('a/b', 'x'),
      () => store.read('a/b'),
      () => store.list(''),
      () => store.verify!(),
    ]) {
      const error = await failure(call)
      expect(error.code).toBe('ARTIFACT_STORE_UNREACHABLE')
      expect(error.message).toContain(`artifact store 'test-gcs' (gs://${bucket}/p)`)
      expect(error.message).toContain(`bucket '${bucket}'`)
      expect(error.message).toMatch(
        /cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\) — check 'apiEndpoint'/,
      )
      expect(error.cause).toBeDefined()
      expectNoSecret(error, logger.lines)
    }
  })

  it('refuses a malformed service-account key without quoting it', async () => {
    let message = ''
    try {
      await gcsArtifactStore.create(
        {
          ...gcsArtifactStore.config.parse({ path: 'gs://b-b-b' }),
          serviceAccountKey: `{"private_key": "${CANARY}"`,
        },
        flavorContext(),
      )
    } catch (error) {
      message = isStrataError(error) ? error.message : String(error)
    }
    expect(message).toContain("'serviceAccountKey' is not a service-account key's JSON")
    expect(message).not.toContain(CANARY)
  })
})

const { server, skip } = await startFakeGcs()

describe.skipIf(skip)('gcs artifact store errors against fake-gcs-server', () => {
  beforeAll(async () => {
    await createBucket(server!.url, bucket)
  })
  afterAll(async () => {
    await server?.stop()
  })

  it('reports a missing bucket with how to create it, for every operation', async () => {
    const logger = capturingLogger()
    const store = await storeWith({ path: 'gs://strata-no-such-bucket/p', apiEndpoint: server!.url }, logger)
    for (const call of [
      () => store.write('a', 'x'),
      () => store.read('a'),
      () => store.stat('a'),
      () => store.list(''),
      () => store.copy!('a', 'b'),
      () => store.verify!(),
    ]) {
      const error = await failure(call)
      expect(error.code).toBe('ARTIFACT_STORE_BUCKET_NOT_FOUND')
      expect(error.message).toContain("artifact store 'test-gcs' (gs://strata-no-such-bucket/p)")
      expect(error.message).toContain("bucket 'strata-no-such-bucket' does not exist")
      expect(error.message).toMatch(
        /create it \(e\.g\. 'gcloud storage buckets create .*or fix the component's 'path'/,
      )
      expectNoSecret(error, logger.lines)
    }
  })

  it('verifies a healthy store', async () => {
    const store = await storeWith({ path: `gs://${bucket}/p`, apiEndpoint: server!.url })
    await store.verify!()
    expect((await store.list('')).entries).toEqual([])
  })
})

// fake-gcs-server checks no credentials, @google-cloud/storage sends none to a custom endpoint, and the
// OAuth token endpoint is fixed to Google's: rejected credentials and denied access cannot be produced by
// a server on this machine. These check the mapping of the client's own ApiError for those answers.
describe('gcs error mapping for answers no local server gives', () => {
  const identity: GcsStoreIdentity = {
    label: "artifact store 'test-gcs' (gs://b/p)",
    bucket: 'b',
    endpoint: 'https://storage.googleapis.com',
    secrets: [CANARY],
  }

  it('maps 401 to rejected credentials and 403 to access denied, with the fix and no secret', () => {
    const rejected = gcsFailure(
      Object.assign(new ApiError(`Invalid Credentials for ${CANARY}`), { code: 401 }),
      identity,
      'write',
      'k',
    )
    expect(rejected.code).toBe('ARTIFACT_STORE_CREDENTIALS_REJECTED')
    expect(rejected.message).toMatch(/bucket 'b'.*rejected the credentials — check 'serviceAccountKey'/)
    expect(inspect(rejected, { depth: 10 })).not.toContain(CANARY)

    const denied = gcsFailure(
      Object.assign(new ApiError('strata@x does not have storage.objects.create access'), { code: 403 }),
      identity,
      'write',
      'k',
    )
    expect(denied.code).toBe('ARTIFACT_STORE_ACCESS_DENIED')
    expect(denied.message).toMatch(/access denied .* grant .* roles\/storage\.objectAdmin/)

    const missing = gcsFailure(new Error('Could not load the default credentials.'), identity, 'list')
    expect(missing.code).toBe('ARTIFACT_STORE_CREDENTIALS_MISSING')
    expect(missing.message).toContain("set 'serviceAccountKey'")
  })
})
