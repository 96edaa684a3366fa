// Transient failures and stalled servers, with a loopback proxy in front of a real server (fake-gcs-server).
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
import { createFakeGcsBucket as createBucket, startFakeGcs } from '@strata/testing/servers'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { flavorContext } from './gcs.test-helpers.js'
import { gcsArtifactStore } from './gcs-artifact-store-flavor.js'

const { server, skip } = await startFakeGcs()
const bucket = 'strata-transient'
// What Cloud Storage answers when it sheds load.
const UNAVAILABLE = JSON.stringify({ error: { code: 503, message: 'Backend Error', errors: [] } })

const storeAt = (apiEndpoint: string, extra: Record<string, unknown> = {}) =>
  gcsArtifactStore.create(
    gcsArtifactStore.config.parse({
      path: `gs://${bucket}/runs`,
      apiEndpoint,
      projectId: 'strata-test',
      ...extra,
    }),
    flavorContext(),
  )

describe.skipIf(skip)(
  'gcs artifact store: transient errors are retried (fake-gcs-server behind a proxy)',
  () => {
    let proxy: FaultProxy | undefined
    beforeAll(async () => {
      await createBucket(server!.url, bucket)
    })
    afterEach(async () => {
      await proxy?.close()
    })
    afterAll(async () => {
      await server?.stop()
    })

    const fault = (match: (request: { method: string; url: string }) => boolean, times = 1) =>
      startFaultProxy(server!.url, {
        match,
        times,
        body: UNAVAILABLE,
        headers: { 'content-type': 'application/json' },
      })

    it('retries a write answered 503 once, then succeeds', async () => {
      proxy = await fault(({ method, url }) => method === 'POST' && url.startsWith('/upload/'))
      const store = await storeAt(proxy.url)
      await store.write('small/value.json', '{"ok":true}')
      expect(
        proxy.requests
          .filter((request) => request.url.startsWith('/upload/'))
          .map((request) => `${request.method} ${request.status}`),
      ).toEqual(['POST 503', 'POST 200'])
      expect(Buffer.from(await collectBytes(await store.read('small/value.json'))).toString()).toBe(
        '{"ok":true}',
      )
    })

    it('retries a read answered 503 once (metadata and media), then streams the object', async () => {
      const direct = await storeAt(server!.url)
      const size = 3 * 1024 * 1024 + 5
      await direct.write('read/blob.bin', patternStream(size))
      proxy = await fault(({ method }) => method === 'GET', 2)
      const store = await storeAt(proxy.url)
      const bytes = await collectBytes(await store.read('read/blob.bin'))
      expect(bytes.byteLength).toBe(size)
      expect(Buffer.compare(bytes, await collectBytes(patternStream(size)))).toBe(0)
      // Both GETs of a read (its metadata, then the media) were refused once and retried.
      expect(proxy.requests.map((request) => `${request.status}${request.injected ? '*' : ''}`)).toEqual([
        '503*',
        '503*',
        '200',
        '200',
      ])
    })

    it('retries a large resumable write whose session start is answered 503 once', async () => {
      proxy = await fault(({ method, url }) => method === 'POST' && url.includes('uploadType=resumable'))
      const store = await storeAt(proxy.url)
      const size = 9 * 1024 * 1024
      await store.write('large/weights.bin', patternStream(size))
      expect(
        proxy.requests
          .filter((request) => request.method === 'POST' && request.url.includes('uploadType=resumable'))
          .map((request) => request.status),
      ).toEqual([503, 200])
      expect(await store.stat('large/weights.bin')).toMatchObject({ size })
    })

    it('lets a slow but moving read go on longer than timeoutMs (an idle timeout, not a deadline)', async () => {
      const direct = await storeAt(server!.url)
      await direct.write('slow/blob.bin', patternStream(256 * 1024))
      // 16 pieces of 16 KiB, 150 ms apart: 2.4 s in all, never 800 ms without a byte.
      proxy = await startFaultProxy(server!.url, { times: 0, chunkDelayMs: 150 })
      const timeoutMs = 800
      const store = await storeAt(proxy.url, { timeoutMs, maxRetries: 0 })
      const started = Date.now()
      const bytes = await collectBytes(await store.read('slow/blob.bin'))
      // The subject is a timeout: the read outlasted timeoutMs (a lower bound — the proxy's pauses make it at
      // least 2.25 s on any machine) and still got every byte, with no retry.
      expect(Date.now() - started).toBeGreaterThan(2 * timeoutMs)
      expect(bytes.byteLength).toBe(256 * 1024)
      // The marker that gives each request its idle timeout is taken off before the request is sent.
      expect(proxy.requests.length).toBeGreaterThan(0)
      for (const request of proxy.requests)
        expect(Object.keys(request.headers)).not.toContain('x-strata-idle-timeout')
    })

    it('gives up after maxRetries on a server that keeps answering 503', async () => {
      proxy = await fault(() => true, 100)
      const store = await storeAt(proxy.url, { maxRetries: 1 })
      const error = await store.write('busy/value.txt', 'x').catch((thrown: unknown) => thrown)
      expect(isStrataError(error) && error.code).toBe('ARTIFACT_STORE_ERROR')
      expect((error as Error).message).toMatch(
        /^artifact store 'test-gcs' \(gs:\/\/strata-transient\/runs\): write 'busy\/value\.txt' in bucket 'strata-transient' failed: .*\(HTTP 503\)/,
      )
      expect(proxy.requests).toHaveLength(2)
    })
  },
)

describe('gcs artifact store: a stalled server never hangs a call', () => {
  let stalled: StalledServer
  beforeAll(async () => {
    stalled = await startStalledServer()
  })
  afterAll(async () => {
    await stalled.close()
  })

  type Store = Awaited<ReturnType<typeof storeAt>>
  it.each([
    ['a small write', 'write', (store: Store) => store.write('stalled/value.txt', 'x')],
    ['a read', 'read', (store: Store) => store.read('stalled/value.txt')],
    ['a list', 'list', (store: Store) => store.list('stalled/')],
    [
      'a resumable write',
      'write',
      (store: Store) => store.write('stalled/value.txt', patternStream(9 * 1024 * 1024)),
    ],
  ])('fails %s with a clear error once timeoutMs passes on every attempt', async (_what, operation, call) => {
    const timeoutMs = 800
    const store = await storeAt(stalled.url, { timeoutMs, maxRetries: 1 })
    const { error, elapsedMs, connections } = await stalledCall(stalled, () => call(store))
    expect(isStrataError(error) && error.code).toBe('ARTIFACT_STORE_UNREACHABLE')
    expect((error as Error).message).toMatch(
      new RegExp(
        `^artifact store 'test-gcs' \\(gs://strata-transient/runs\\): ${operation} 'stalled/(value\\.txt)?' in bucket 'strata-transient': cannot reach http://127\\.0\\.0\\.1:\\d+ \\(ETIMEDOUT\\) — check 'apiEndpoint'`,
      ),
    )
    // The subject is a timeout: two attempts of 800 ms plus the client's backoff, never a hang. Bounds derived
    // from it: at least both timeouts, at most seven times both (the backoff is up to a few seconds).
    expect(elapsedMs).toBeGreaterThanOrEqual(2 * timeoutMs - 100)
    expect(elapsedMs).toBeLessThan(2 * timeoutMs * 7)
    expect(connections).toBe(2)
    await store.close?.()
  })
})
