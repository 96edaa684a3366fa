import { Readable } from 'node:stream'
import { inspect } from 'node:util'
import { describe, expect, it, vi } from 'vitest'
import {
  BucketStoreErrors,
  type BucketStoreIdentity,
  mapBucketStoreError,
  type VendorErrorMapping,
} from './bucket-store-errors.js'
import { StrataError } from './errors.js'

const SECRET = 'canary-secret-value'
const identity: BucketStoreIdentity = {
  label: "artifact store 'team' (x://bucket/p)",
  bucket: 'bucket',
  endpoint: 'http://127.0.0.1:9',
  secrets: [SECRET],
}

/** A vendor whose errors carry `status`; 401 means rejected credentials. */
const vendor: VendorErrorMapping = {
  createBucketCommand: (bucket) => `x mb ${bucket}`,
  endpointFields: "'endpoint'",
  classify(failure) {
    const status = (failure.cause as { status?: number }).status
    if (status === 410) return failure.bucketNotFound()
    if (status === 401)
      return failure.fail('ARTIFACT_STORE_CREDENTIALS_REJECTED', `${failure.whatInBucket}: rejected`)
    if ((failure.cause as Error).name === 'VendorTimeout') return failure.unreachable('VendorTimeout')
    return undefined
  },
  detail: (failure) => {
    const status = (failure.cause as { status?: number }).status
    return status ? `HTTP ${status}` : undefined
  },
}

const vendorError = (message: string, fields: Record<string, unknown> = {}): Error =>
  Object.assign(new Error(message), fields)

describe('mapBucketStoreError', () => {
  it('names the store, the call and the bucket, and keeps the scrubbed vendor error as cause', () => {
    const error = mapBucketStoreError(
      vendorError(`bad key ${SECRET}`, { status: 401 }),
      identity,
      vendor,
      'write',
      'a/b',
    )
    expect(error.code).toBe('ARTIFACT_STORE_CREDENTIALS_REJECTED')
    expect(error.message).toBe(
      "artifact store 'team' (x://bucket/p): write 'a/b' in bucket 'bucket': rejected",
    )
    expect(error.details).toEqual({ bucket: 'bucket', operation: 'write', key: 'a/b' })
    expect((error.cause as Error).message).toBe('bad key ********')
    expect(inspect(error, { depth: 10 })).not.toContain(SECRET)
  })

  it('reads an AbortError as an abort, whatever the vendor would say', () => {
    const abort = new DOMException('aborted', 'AbortError')
    const error = mapBucketStoreError(abort, identity, vendor, 'read', 'k')
    expect(error.code).toBe('ARTIFACT_STORE_ABORTED')
    expect(error.message).toContain("read 'k' was aborted — nothing was stored; retry if needed")
  })

  it('finds a network error in the cause chain and names the endpoint fields', () => {
    const refused = vendorError('fetch failed', { cause: vendorError('connect', { code: 'ECONNREFUSED' }) })
    const error = mapBucketStoreError(refused, identity, vendor, 'list')
    expect(error.code).toBe('ARTIFACT_STORE_UNREACHABLE')
    expect(error.message).toContain(
      "list in bucket 'bucket': cannot reach http://127.0.0.1:9 (ECONNREFUSED) — check 'endpoint', that the server is running",
    )
    const timeout = mapBucketStoreError(
      vendorError('slow', { name: 'VendorTimeout' }),
      identity,
      vendor,
      'list',
    )
    expect(timeout.message).toContain('(VendorTimeout)')
  })

  it('falls back to ARTIFACT_STORE_ERROR with the vendor detail, and passes StrataErrors through', () => {
    const error = mapBucketStoreError(vendorError('teapot', { status: 418 }), identity, vendor, 'stat', 'k')
    expect(error.code).toBe('ARTIFACT_STORE_ERROR')
    expect(error.message).toContain(
      "stat 'k' in bucket 'bucket' failed: teapot (HTTP 418) — check the store's configuration and that http://127.0.0.1:9 is healthy",
    )
    const own = new StrataError('ARTIFACT_NOT_FOUND', 'gone')
    expect(mapBucketStoreError(own, identity, vendor, 'read')).toBe(own)
  })

  it('says how to create a missing bucket', () => {
    const error = mapBucketStoreError(vendorError('gone', { status: 410 }), identity, vendor, 'list')
    expect(error.code).toBe('ARTIFACT_STORE_BUCKET_NOT_FOUND')
    expect(error.message).toBe(
      "artifact store 'team' (x://bucket/p): bucket 'bucket' does not exist at http://127.0.0.1:9 — create it (e.g. 'x mb bucket') or fix the component's 'path'",
    )
  })
})

function storeErrors(bucketExists: () => Promise<boolean>) {
  const warn = vi.fn()
  const errors = new BucketStoreErrors({
    ...vendor,
    identity,
    flavor: 'x',
    logger: { debug() {}, info() {}, warn, error() {} },
    isNotFound: (error) => (error as { status?: number }).status === 404,
    bucketExists,
  })
  return { errors, warn }
}

describe('BucketStoreErrors', () => {
  it('tells a missing key from a missing bucket, and asks about the bucket until it exists', async () => {
    const bucketExists = vi.fn(async () => false)
    const { errors } = storeErrors(bucketExists)
    const notFound = vendorError('404', { status: 404 })
    expect(await errors.isMissingKey(notFound)).toBe(false)
    expect((await errors.failure(notFound, 'stat', 'k')).code).toBe('ARTIFACT_STORE_BUCKET_NOT_FOUND')
    bucketExists.mockResolvedValue(true)
    expect(await errors.isMissingKey(notFound)).toBe(true)
    expect(await errors.isMissingKey(notFound)).toBe(true)
    expect(bucketExists).toHaveBeenCalledTimes(3)
  })

  it('needs no question once a listing proved the bucket exists', async () => {
    const bucketExists = vi.fn(async () => false)
    const { errors } = storeErrors(bucketExists)
    errors.bucketSeen()
    expect(await errors.isMissingKey(vendorError('404', { status: 404 }))).toBe(true)
    expect(bucketExists).not.toHaveBeenCalled()
  })

  it('logs the failures it could only map to ARTIFACT_STORE_ERROR', async () => {
    const { errors, warn } = storeErrors(async () => true)
    await errors.failure(vendorError('teapot', { status: 418 }), 'write', 'k')
    await errors.failure(vendorError('no', { status: 401 }), 'write', 'k')
    expect(warn.mock.calls).toEqual([['artifact_store.x call failed', { operation: 'write', key: 'k' }]])
  })

  it('maps a read broken midway and releases the body', async () => {
    const { errors } = storeErrors(async () => true)
    const body = Readable.from(
      (async function* broken() {
        yield Buffer.from('first')
        throw vendorError('socket hang up', { code: 'ECONNRESET' })
      })(),
    )
    const chunks: Uint8Array[] = []
    const read = async (): Promise<void> => {
      for await (const chunk of errors.guardRead(body, 'k')) chunks.push(chunk)
    }
    await expect(read()).rejects.toMatchObject({ code: 'ARTIFACT_STORE_UNREACHABLE' })
    expect(Buffer.concat(chunks).toString()).toBe('first')
    expect(body.destroyed).toBe(true)
  })

  it("destroys a read's body when the caller aborts, before or during the read", async () => {
    const { errors } = storeErrors(async () => true)
    const controller = new AbortController()
    const body = new Readable({ read() {} })
    const stream = errors.guardRead(body, 'k', controller.signal)
    controller.abort()
    expect(body.destroyed).toBe(true)
    await expect(
      (async () => {
        for await (const _ of stream);
      })(),
    ).rejects.toMatchObject({ code: 'ARTIFACT_STORE_ABORTED' })
  })

  it('takes back an upload that committed while the abort was on its way', async () => {
    const { errors } = storeErrors(async () => true)
    const controller = new AbortController()
    const remove = vi.fn(async () => {})
    const upload = async (): Promise<void> => controller.abort()
    await expect(errors.guardWrite('k', controller.signal, upload, remove)).rejects.toMatchObject({
      code: 'ARTIFACT_STORE_ABORTED',
    })
    expect(remove).toHaveBeenCalledOnce()
  })

  it('reports an aborted upload as aborted even when the vendor says otherwise', async () => {
    const { errors } = storeErrors(async () => true)
    const controller = new AbortController()
    const remove = vi.fn(async () => {})
    const upload = async (): Promise<void> => {
      controller.abort()
      throw vendorError('socket closed', { code: 'ECONNRESET' })
    }
    await expect(errors.guardWrite('k', controller.signal, upload, remove)).rejects.toMatchObject({
      code: 'ARTIFACT_STORE_ABORTED',
    })
    expect(remove).not.toHaveBeenCalled()
    const failed = async (): Promise<void> => {
      throw vendorError('no', { status: 401 })
    }
    await expect(errors.guardWrite('k', undefined, failed, remove)).rejects.toMatchObject({
      code: 'ARTIFACT_STORE_CREDENTIALS_REJECTED',
    })
  })
})
