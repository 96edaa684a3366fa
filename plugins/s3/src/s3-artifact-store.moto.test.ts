import { setTimeout as sleep } from 'node:timers/promises'
import { artifactStoreConformance, patternStream } from '@strata/testing'
import { MOTO_CREDENTIALS, startMoto } from '@strata/testing/servers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { s3ArtifactStore } from './s3-artifact-store-flavor.js'
import {
  createBucket,
  flavorContext,
  listKeys,
  pendingMultipartUploads,
  rawClient,
} from './s3-client.test-helpers.js'

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

  // s3rver implements neither ListMultipartUploads nor AbortMultipartUpload: only moto can show this.
  it('aborts the multipart upload of a large write whose source fails or that is aborted midway', async () => {
    await createBucket(rawClient(server!.url), 'strata-multipart')
    const client = rawClient(server!.url)
    const store = await s3ArtifactStore.create(
      s3ArtifactStore.config.parse({
        path: 's3://strata-multipart/runs',
        endpoint: server!.url,
        ...MOTO_CREDENTIALS,
        partSize: 5 * 1024 * 1024,
      }),
      flavorContext(),
    )
    /** Waits until the server lists the upload of `key`: the test proves there was one to clean up. */
    const uploadStarted = async (key: string): Promise<void> => {
      const deadline = Date.now() + 20_000
      while (!(await pendingMultipartUploads(client, 'strata-multipart')).includes(key)) {
        if (Date.now() > deadline) throw new Error(`no multipart upload of ${key} was started`)
        await sleep(50)
      }
    }
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield* patternStream(14 * 1024 * 1024)
      await uploadStarted('runs/midway/failed')
      throw new Error('source broke after 14 MiB')
    }
    await expect(store.write('midway/failed', failing())).rejects.toThrow(/source broke after 14 MiB/)
    expect(await pendingMultipartUploads(client, 'strata-multipart')).toEqual([])
    expect(await listKeys(client, 'strata-multipart')).toEqual([])

    const controller = new AbortController()
    async function* aborted(): AsyncGenerator<Uint8Array> {
      let sent = 0
      for await (const chunk of patternStream(64 * 1024 * 1024)) {
        sent += chunk.byteLength
        if (sent > 14 * 1024 * 1024) {
          await uploadStarted('runs/midway/aborted')
          controller.abort()
        }
        yield chunk
      }
    }
    await expect(
      store.write('midway/aborted', aborted(), { signal: controller.signal }),
    ).rejects.toMatchObject({ code: 'ARTIFACT_STORE_ABORTED' })
    expect(await pendingMultipartUploads(client, 'strata-multipart')).toEqual([])
    expect(await listKeys(client, 'strata-multipart')).toEqual([])

    // The same store writes a large object afterwards: nothing left half-open gets in the way.
    await store.write('midway/failed', patternStream(11 * 1024 * 1024))
    expect(await listKeys(client, 'strata-multipart')).toEqual(['runs/midway/failed'])
    expect(await pendingMultipartUploads(client, 'strata-multipart')).toEqual([])
    await store.close?.()
  })
})
