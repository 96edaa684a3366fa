import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { artifactStoreConformance, patternStream } from '@strata/testing'
import { S3RVER_CREDENTIALS, startS3rver } from '@strata/testing/servers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { s3ArtifactStore } from './s3-artifact-store-flavor.js'
import { createBucket, flavorContext, rawClient } from './s3-client.test-helpers.js'
import { s3ClientConfig } from './s3-client-config.js'

const { server, skip } = await startS3rver()
const bucket = 'strata-conformance'
const config = { path: `s3://${bucket}/team/artifacts`, endpoint: server?.url, ...S3RVER_CREDENTIALS }

describe.skipIf(skip)('s3 artifact store on s3rver', () => {
  beforeAll(async () => {
    await createBucket(rawClient(server!.url, S3RVER_CREDENTIALS), bucket)
  })
  afterAll(async () => {
    await server?.stop()
  })

  artifactStoreConformance({
    name: 's3 (s3rver)',
    create: () => s3ArtifactStore.create(s3ArtifactStore.config.parse(config), flavorContext()),
  })

  it('stores streamed uploads byte-identical (flexible checksums off for custom endpoints)', async () => {
    // With the SDK's default checksums a streamed PutObject goes out aws-chunked, and s3rver stores the
    // chunk framing inside the object while reporting success: only a byte-for-byte read back catches it.
    const parsed = s3ArtifactStore.config.parse({ ...config, partSize: 5 * 1024 * 1024 })
    const size = 12 * 1024 * 1024 + 123
    const sent = createHash('sha256')
    for await (const chunk of patternStream(size)) sent.update(chunk)
    const expected = sent.digest('hex')
    const readBack = async (key: string): Promise<Buffer> => {
      const response = await rawClient(server!.url, S3RVER_CREDENTIALS).send(
        new GetObjectCommand({ Bucket: bucket, Key: key }),
      )
      return Buffer.from(await response.Body!.transformToByteArray())
    }

    // 1. The store's own streamed write: a multipart upload of 5 MiB parts.
    const store = await s3ArtifactStore.create(parsed, flavorContext())
    await store.write('checksum/multipart', patternStream(size))
    const multipart = await readBack('team/artifacts/checksum/multipart')
    expect(multipart.byteLength).toBe(size)
    expect(createHash('sha256').update(multipart).digest('hex')).toBe(expected)
    await store.close?.()

    // 2. A streamed single PutObject through a client configured exactly as the store configures its own:
    //    the case the SDK's defaults corrupt (lib-storage sends parts as buffers, which escape it).
    const client = new S3Client(s3ClientConfig(parsed))
    await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'team/artifacts/checksum/streamed-put',
        Body: Readable.from(patternStream(size), { objectMode: false }),
        ContentLength: size,
      }),
    )
    const streamed = await readBack('team/artifacts/checksum/streamed-put')
    expect(streamed.byteLength).toBe(size)
    expect(createHash('sha256').update(streamed).digest('hex')).toBe(expected)
    client.destroy()
  })
  // The conformance suite's failing and aborted writes stop before one part is full; these stop midway
  // through a multipart upload of 5 MiB parts, after several requests have gone out.
  it('leaves nothing visible when a large source fails or is aborted midway', async () => {
    const store = await s3ArtifactStore.create(
      s3ArtifactStore.config.parse({ ...config, partSize: 5 * 1024 * 1024 }),
      flavorContext(),
    )
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield* patternStream(14 * 1024 * 1024)
      throw new Error('source broke after 14 MiB')
    }
    await expect(store.write('midway/failed', failing())).rejects.toThrow()
    const controller = new AbortController()
    async function* aborted(): AsyncGenerator<Uint8Array> {
      let sent = 0
      for await (const chunk of patternStream(64 * 1024 * 1024)) {
        sent += chunk.byteLength
        if (sent > 14 * 1024 * 1024) controller.abort()
        yield chunk
      }
    }
    const abortError = await store
      .write('midway/aborted', aborted(), { signal: controller.signal })
      .catch((error: unknown) => error)
    expect(abortError).toMatchObject({ code: 'ARTIFACT_STORE_ABORTED' })
    expect(await store.stat('midway/failed')).toBeUndefined()
    expect(await store.stat('midway/aborted')).toBeUndefined()
    expect((await store.list('midway/')).entries).toEqual([])
    await store.close?.()
  })
})
