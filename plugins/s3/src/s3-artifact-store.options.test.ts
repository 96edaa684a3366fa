// `sessionToken` and `clientOptions` against moto: what reaches the server, and what the server does with it.
import { inspect } from 'node:util'
import { isStrataError } from '@strata/core'
import {
  recordingLogger as capturingLogger,
  collectBytes,
  type FaultProxy,
  startFaultProxy,
} from '@strata/testing'
import { MOTO_CREDENTIALS, type MotoWithIam, startMoto, startMotoWithIam } from '@strata/testing/servers'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { s3ArtifactStore } from './s3-artifact-store-flavor.js'
import { createBucket, flavorContext, rawClient } from './s3-client.test-helpers.js'

const CANARY_TOKEN = 'canary-session-token-Vb61Lq'
const bucket = 'strata-options'

const storeWith = (config: Record<string, unknown>, logger = capturingLogger()) =>
  s3ArtifactStore.create(
    s3ArtifactStore.config.parse({ path: `s3://${bucket}/runs`, ...config }),
    flavorContext(logger),
  )

const { moto: iamMoto, skip: iamSkip } = await startMotoWithIam({ temporaryCredentials: true })

describe.skipIf(iamSkip)('s3 artifact store: sessionToken (moto with IAM enforcement and STS)', () => {
  let moto: MotoWithIam
  let proxy: FaultProxy
  beforeAll(async () => {
    moto = iamMoto!
    await createBucket(rawClient(moto.server.url, moto.admin), bucket)
    // Forwards everything: only to see what the client sends.
    proxy = await startFaultProxy(moto.server.url, { times: 0 })
  })
  afterAll(async () => {
    await proxy?.close()
    await moto?.server.stop()
  })

  it("works with an assumed role's temporary credentials, sending the token on every request", async () => {
    const store = await storeWith({ endpoint: proxy.url, ...moto.temporary })
    await store.write('temporary/value.txt', 'from an assumed role')
    expect(Buffer.from(await collectBytes(await store.read('temporary/value.txt'))).toString()).toBe(
      'from an assumed role',
    )
    expect(proxy.requests.length).toBeGreaterThanOrEqual(2)
    for (const request of proxy.requests) {
      expect(request.status).toBe(200)
      expect(request.headers['x-amz-security-token']).toBe(moto.temporary!.sessionToken)
    }
    await store.close?.()
  })

  it('is refused by the server when the token is wrong, and never shown', async () => {
    const logger = capturingLogger()
    const store = await storeWith(
      { endpoint: moto.server.url, ...moto.temporary, sessionToken: CANARY_TOKEN, maxAttempts: 1 },
      logger,
    )
    const error = await store.list('').catch((thrown: unknown) => thrown)
    expect(isStrataError(error) && error.code).toBe('ARTIFACT_STORE_CREDENTIALS_REJECTED')
    expect((error as Error).message).toMatch(
      /^artifact store 'test-s3' \(s3:\/\/strata-options\/runs\): list '' in bucket 'strata-options': http:\/\/127\.0\.0\.1:\d+ rejected the credentials \(\w+\) — check 'accessKeyId' and 'secretAccessKey'/,
    )
    const shown = [inspect(error, { depth: 20 }), JSON.stringify((error as { details?: unknown }).details)]
    for (const text of [...shown, ...logger.lines]) expect(text).not.toContain(CANARY_TOKEN)
    await store.close?.()
  })

  it('is refused by the config without accessKeyId and secretAccessKey', () => {
    expect(() =>
      s3ArtifactStore.config.parse({ path: `s3://${bucket}`, sessionToken: 'x-token-only' }),
    ).toThrow(/a sessionToken needs accessKeyId and secretAccessKey/)
  })
})

const { server, skip } = await startMoto()

describe.skipIf(skip)('s3 artifact store: clientOptions reach the S3 client (moto behind a proxy)', () => {
  let proxy: FaultProxy | undefined
  beforeAll(async () => {
    await createBucket(rawClient(server!.url), bucket)
  })
  afterEach(async () => {
    await proxy?.close()
  })
  afterAll(async () => {
    await server?.stop()
  })

  it('override the store fields they name, applied last: maxAttempts', async () => {
    proxy = await startFaultProxy(server!.url, { times: 100 })
    // The field says 3 attempts; clientOptions says 1, and wins.
    const single = await storeWith({
      endpoint: proxy.url,
      ...MOTO_CREDENTIALS,
      maxAttempts: 3,
      clientOptions: { maxAttempts: 1 },
    })
    await expect(single.write('busy/value.txt', 'x')).rejects.toMatchObject({ code: 'ARTIFACT_STORE_ERROR' })
    expect(proxy.requests).toHaveLength(1)
    await single.close?.()

    const before = proxy.requests.length
    const defaults = await storeWith({ endpoint: proxy.url, ...MOTO_CREDENTIALS, maxAttempts: 3 })
    await expect(defaults.write('busy/value.txt', 'x')).rejects.toMatchObject({
      code: 'ARTIFACT_STORE_ERROR',
    })
    expect(proxy.requests.length - before).toBe(3)
    await defaults.close?.()
  })

  it('pass options the store has no field for: the signing region and the user agent', async () => {
    proxy = await startFaultProxy(server!.url, { times: 0 })
    const store = await storeWith({
      endpoint: proxy.url,
      ...MOTO_CREDENTIALS,
      clientOptions: { region: 'eu-west-3', customUserAgent: 'strata-options-test/1.0' },
    })
    await store.write('agent/value.txt', 'ok')
    expect((await store.stat('agent/value.txt'))?.size).toBe(2)
    expect(proxy.requests.length).toBeGreaterThan(0)
    for (const request of proxy.requests) {
      expect(request.headers.authorization).toMatch(/Credential=testing\/\d{8}\/eu-west-3\/s3\/aws4_request/)
      expect(request.headers['user-agent']).toContain('strata-options-test/1.0')
    }
    await store.close?.()
  })
})
