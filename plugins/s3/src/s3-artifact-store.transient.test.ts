// Transient failures and stalled servers, with a loopback proxy in front of a real server (moto).
import { isStrataError } from '@strata/core'
import {
  collectBytes,
  type FaultProxy,
  patternStream,
  type StalledServer,
  stalledCall,
  startFaultProxy,
  startStalledServer,
} from '@strata/testing'
import { MOTO_CREDENTIALS, startMoto } from '@strata/testing/servers'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { s3ArtifactStore } from './s3-artifact-store-flavor.js'
import { createBucket, flavorContext, rawClient } from './s3-client.test-helpers.js'
import { s3ClientConfig } from './s3-client-config.js'

const { server, skip } = await startMoto()
const bucket = 'strata-transient'
// What S3 answers when it sheds load.
const SLOW_DOWN =
  '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>'

const storeAt = (endpoint: string, extra: Record<string, unknown> = {}) =>
  s3ArtifactStore.create(
    s3ArtifactStore.config.parse({
      path: `s3://${bucket}/runs`,
      endpoint,
      ...MOTO_CREDENTIALS,
      partSize: 5 * 1024 * 1024,
      ...extra,
    }),
    flavorContext(),
  )

describe.skipIf(skip)('s3 artifact store: transient errors are retried (moto behind a proxy)', () => {
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

  it('retries a write answered 503 once, then succeeds', async () => {
    proxy = await startFaultProxy(server!.url, {
      match: ({ method }) => method === 'PUT',
      body: SLOW_DOWN,
      headers: { 'content-type': 'application/xml' },
    })
    const store = await storeAt(proxy.url)
    await store.write('small/value.json', '{"ok":true}')
    expect(proxy.requests.filter((request) => request.method === 'PUT')).toMatchObject([
      {
        url: expect.stringMatching(/^\/strata-transient\/runs\/small\/value\.json/),
        status: 503,
        injected: true,
      },
      {
        url: expect.stringMatching(/^\/strata-transient\/runs\/small\/value\.json/),
        status: 200,
        injected: false,
      },
    ])
    expect(Buffer.from(await collectBytes(await store.read('small/value.json'))).toString()).toBe(
      '{"ok":true}',
    )
    await store.close?.()
  })

  it('retries a multipart part answered 503 once, and the object is whole', async () => {
    proxy = await startFaultProxy(server!.url, {
      match: ({ method, url }) => method === 'PUT' && url.includes('partNumber=2'),
      body: SLOW_DOWN,
    })
    const store = await storeAt(proxy.url)
    const size = 12 * 1024 * 1024 + 7
    await store.write('large/weights.bin', patternStream(size))
    const parts = proxy.requests.filter((request) => request.url.includes('partNumber=2'))
    expect(parts.map((request) => request.status)).toEqual([503, 200])
    const readBack = await collectBytes(await store.read('large/weights.bin'))
    expect(readBack.byteLength).toBe(size)
    expect(Buffer.compare(readBack, await collectBytes(patternStream(size)))).toBe(0)
    await store.close?.()
  })

  it('retries a read answered 503 once, then streams the object', async () => {
    const direct = await storeAt(server!.url)
    await direct.write('read/value.txt', 'hello')
    await direct.close?.()
    proxy = await startFaultProxy(server!.url, { match: ({ method }) => method === 'GET', body: SLOW_DOWN })
    const store = await storeAt(proxy.url)
    expect(Buffer.from(await collectBytes(await store.read('read/value.txt'))).toString()).toBe('hello')
    expect(proxy.requests.map((request) => `${request.method} ${request.status}`)).toEqual([
      'GET 503',
      'GET 200',
    ])
    await store.close?.()
  })

  it('lets a slow but moving read go on longer than requestTimeoutMs (an idle timeout, not a deadline)', async () => {
    const direct = await storeAt(server!.url)
    await direct.write('slow/blob.bin', patternStream(256 * 1024))
    await direct.close?.()
    // 16 pieces of 16 KiB, 150 ms apart: 2.4 s in all, never 800 ms without a byte.
    proxy = await startFaultProxy(server!.url, { times: 0, chunkDelayMs: 150 })
    const requestTimeoutMs = 800
    const store = await storeAt(proxy.url, { requestTimeoutMs, maxAttempts: 1 })
    const started = Date.now()
    const bytes = await collectBytes(await store.read('slow/blob.bin'))
    // The subject is a timeout: the read outlasted requestTimeoutMs (a lower bound — the proxy's pauses make
    // it at least 2.25 s on any machine) and still got every byte, in one attempt.
    expect(Date.now() - started).toBeGreaterThan(2 * requestTimeoutMs)
    expect(bytes.byteLength).toBe(256 * 1024)
    await store.close?.()
  })

  it('gives up after maxAttempts on a server that keeps answering 503', async () => {
    proxy = await startFaultProxy(server!.url, { times: 100, body: SLOW_DOWN })
    const store = await storeAt(proxy.url, { maxAttempts: 2 })
    const error = await store.write('busy/value.txt', 'x').catch((thrown: unknown) => thrown)
    expect(isStrataError(error) && error.code).toBe('ARTIFACT_STORE_ERROR')
    expect((error as Error).message).toMatch(
      /^artifact store 'test-s3' \(s3:\/\/strata-transient\/runs\): write 'busy\/value\.txt' in bucket 'strata-transient' failed: .*SlowDown/,
    )
    expect(proxy.requests).toHaveLength(2)
    await store.close?.()
  })
})

describe('s3 artifact store: a stalled server never hangs a call', () => {
  let stalled: StalledServer
  beforeAll(async () => {
    stalled = await startStalledServer()
  })
  afterAll(async () => {
    await stalled.close()
  })

  it('sets the connect and request timeouts on the client it builds', () => {
    const config = s3ClientConfig(
      s3ArtifactStore.config.parse({
        path: 's3://strata-timeouts',
        endpoint: 'http://127.0.0.1:1',
        connectTimeoutMs: 1234,
        requestTimeoutMs: 5678,
      }),
    )
    // socketTimeout is smithy's idle timeout; its requestTimeout would only log a warning.
    expect(config.requestHandler).toEqual({ connectionTimeout: 1234, socketTimeout: 5678 })
  })

  it.each([
    ['write', (store: Awaited<ReturnType<typeof storeAt>>) => store.write('stalled/value.txt', 'x')],
    ['read', (store: Awaited<ReturnType<typeof storeAt>>) => store.read('stalled/value.txt')],
    ['list', (store: Awaited<ReturnType<typeof storeAt>>) => store.list('stalled/')],
  ])(
    'fails a %s with a clear error once requestTimeoutMs passes on every attempt',
    async (operation, call) => {
      const requestTimeoutMs = 800
      const store = await storeAt(stalled.url, { requestTimeoutMs, maxAttempts: 2 })
      const { error, elapsedMs, connections } = await stalledCall(stalled, () => call(store))
      expect(isStrataError(error) && error.code).toBe('ARTIFACT_STORE_UNREACHABLE')
      expect((error as Error).message).toMatch(
        new RegExp(
          `^artifact store 'test-s3' \\(s3://strata-transient/runs\\): ${operation} 'stalled/(value\\.txt)?' in bucket 'strata-transient': cannot reach http://127\\.0\\.0\\.1:\\d+ \\(TimeoutError\\) — check 'endpoint'/'region'`,
        ),
      )
      // The subject is a timeout: two attempts of 800 ms (plus the SDK's short backoff), never the default two
      // minutes. Bounds derived from it: at least both timeouts, at most five times both.
      expect(elapsedMs).toBeGreaterThanOrEqual(2 * requestTimeoutMs - 100)
      expect(elapsedMs).toBeLessThan(2 * requestTimeoutMs * 5)
      expect(connections).toBe(2)
      await store.close?.()
    },
  )
})
