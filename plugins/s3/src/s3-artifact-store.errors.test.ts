import { inspect } from 'node:util'
import { ArtifactStoreHost, type ArtifactStoreV1, isStrataError, type StrataError } from '@strata/core'
import { recordingLogger as capturingLogger, freePort } from '@strata/testing'
import { type MotoWithIam, S3RVER_CREDENTIALS, startMotoWithIam, startS3rver } from '@strata/testing/servers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { s3ArtifactStore } from './s3-artifact-store-flavor.js'
import { createBucket, flavorContext, rawClient } from './s3-client.test-helpers.js'

const CANARY_SECRET = 'canary-secret-Zq8WvX3pL0'
const CANARY_KEY_ID = 'AKIACANARYKEYID0042'
const bucket = 'strata-errors'

/** Runs `call` and returns what it threw, failing the test when it did not throw a StrataError. */
async function failure(call: () => Promise<unknown>): Promise<StrataError> {
  const thrown = await call().then(
    () => undefined,
    (error: unknown) => error,
  )
  if (!isStrataError(thrown)) throw new Error(`expected a StrataError, got ${inspect(thrown)}`)
  return thrown
}

/** Everything a user or a log could ever see of an error: message, details and the whole cause chain. */
function everythingShown(error: StrataError, logLines: string[]): string {
  return [
    error.message,
    String(error.stack),
    JSON.stringify(error.details),
    inspect(error, { depth: 20, showHidden: false }),
    ...logLines,
  ].join('\n')
}

function expectNamed(error: StrataError, code: string, fix: RegExp): void {
  expect(error.code).toBe(code)
  expect(error.message).toContain("artifact store 'test-s3'")
  expect(error.message).toContain(`'${bucket}'`)
  expect(error.message).toMatch(fix)
  expect(error.cause).toBeDefined()
}

async function storeWith(
  config: Record<string, unknown>,
  logger = capturingLogger(),
): Promise<ArtifactStoreV1> {
  return s3ArtifactStore.create(
    s3ArtifactStore.config.parse({ maxAttempts: 2, ...config }),
    flavorContext(logger),
  )
}

describe('s3 artifact store errors: unreachable endpoint', () => {
  it('names the store, the bucket and the fix when nothing listens on the endpoint', async () => {
    const port = await freePort()
    const logger = capturingLogger()
    const store = await storeWith(
      {
        path: `s3://${bucket}/p`,
        endpoint: `http://127.0.0.1:${port}`,
        accessKeyId: CANARY_KEY_ID,
        secretAccessKey: CANARY_SECRET,
      },
      logger,
    )
    // A closed port refuses at once; a client that kept retrying would run into the test's timeout.
    for (const call of [
      () => store.write('a/b', 'x'),
      () => store.read('a/b'),
      () => store.list(''),
      () => store.verify!(),
    ]) {
      const error = await failure(call)
      expectNamed(
        error,
        'ARTIFACT_STORE_UNREACHABLE',
        /cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\) — check 'endpoint'/,
      )
      const shown = everythingShown(error, logger.lines)
      expect(shown).not.toContain(CANARY_SECRET)
      expect(shown).not.toContain(CANARY_KEY_ID)
    }
  })
})

const { server: s3rver, skip: s3rverSkip } = await startS3rver()

describe.skipIf(s3rverSkip)('s3 artifact store errors against s3rver', () => {
  beforeAll(async () => {
    await createBucket(rawClient(s3rver!.url, S3RVER_CREDENTIALS), bucket)
  })
  afterAll(async () => {
    await s3rver?.stop()
  })

  it('scrubs an unknown access key id that the server echoes back', async () => {
    const logger = capturingLogger()
    const store = await storeWith(
      {
        path: `s3://${bucket}/p`,
        endpoint: s3rver!.url,
        accessKeyId: CANARY_KEY_ID,
        secretAccessKey: CANARY_SECRET,
      },
      logger,
    )
    const host = new ArtifactStoreHost(store, { name: 'test-s3', flavor: 's3', logger })
    const error = await failure(() => host.list(''))
    expectNamed(error, 'ARTIFACT_STORE_CREDENTIALS_REJECTED', /\(InvalidAccessKeyId\)/)
    // s3rver puts the key id into its error body (AWSAccessKeyId); the SDK copies it onto the error object.
    expect(JSON.stringify(Object.entries(error.cause as object))).toContain('********')
    const shown = everythingShown(error, logger.lines)
    expect(shown).not.toContain(CANARY_KEY_ID)
    expect(shown).not.toContain(CANARY_SECRET)
  })
})

const { moto, skip } = await startMotoWithIam()

describe.skipIf(skip)('s3 artifact store errors against moto with IAM enforcement', () => {
  let server: MotoWithIam
  beforeAll(async () => {
    server = moto!
    await createBucket(rawClient(server.server.url, server.admin), bucket)
  })
  afterAll(async () => {
    await moto?.server.stop()
  })

  it('reports a missing bucket with how to create it, for every operation', async () => {
    const store = await storeWith({
      path: 's3://strata-no-such-bucket/p',
      endpoint: server.server.url,
      ...server.admin,
    })
    for (const call of [
      () => store.write('a', 'x'),
      () => store.read('a'),
      () => store.stat('a'),
      () => store.list(''),
      () => store.deletePrefix('a/'),
      () => store.verify!(),
    ]) {
      const error = await failure(call)
      expect(error.code).toBe('ARTIFACT_STORE_BUCKET_NOT_FOUND')
      expect(error.message).toContain("artifact store 'test-s3' (s3://strata-no-such-bucket/p)")
      expect(error.message).toContain("bucket 'strata-no-such-bucket' does not exist")
      expect(error.message).toMatch(/create it .*or fix the component's 'path'/)
    }
  })

  it('reports a rejected secret key without ever showing it', async () => {
    const logger = capturingLogger()
    const store = await storeWith(
      {
        path: `s3://${bucket}/p`,
        endpoint: server.server.url,
        accessKeyId: server.admin.accessKeyId,
        secretAccessKey: CANARY_SECRET,
      },
      logger,
    )
    for (const call of [() => store.write('a', 'x'), () => store.list(''), () => store.verify!()]) {
      const error = await failure(call)
      expectNamed(
        error,
        'ARTIFACT_STORE_CREDENTIALS_REJECTED',
        /rejected the credentials \(SignatureDoesNotMatch\) — check 'accessKeyId' and 'secretAccessKey'/,
      )
      expect(everythingShown(error, logger.lines)).not.toContain(CANARY_SECRET)
    }
  })

  it('reports access denied with the permissions to grant', async () => {
    const store = await storeWith({ path: `s3://${bucket}/p`, endpoint: server.server.url, ...server.nobody })
    for (const call of [() => store.write('a', 'x'), () => store.list(''), () => store.read('a')]) {
      const error = await failure(call)
      expectNamed(
        error,
        'ARTIFACT_STORE_ACCESS_DENIED',
        /access denied — grant these credentials s3:ListBucket/,
      )
      expect(error.message).not.toContain(server.nobody.secretAccessKey)
    }
  })

  it('verifies a healthy store, and succeeds with the right credentials', async () => {
    const store = await storeWith({ path: `s3://${bucket}/p`, endpoint: server.server.url, ...server.admin })
    await store.verify!()
    expect((await store.list('')).entries).toEqual([])
  })
})
