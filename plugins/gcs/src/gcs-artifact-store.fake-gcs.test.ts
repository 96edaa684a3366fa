import { artifactStoreConformance, patternStream } from '@strata/testing'
import { createFakeGcsBucket as createBucket, startFakeGcs } from '@strata/testing/servers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { flavorContext } from './gcs.test-helpers.js'
import { gcsArtifactStore } from './gcs-artifact-store-flavor.js'

const { server, skip } = await startFakeGcs()
const bucket = 'strata-conformance'
const config = { path: `gs://${bucket}/team/artifacts`, apiEndpoint: server?.url, projectId: 'strata-test' }

describe.skipIf(skip)('gcs artifact store on fake-gcs-server', () => {
  beforeAll(async () => {
    await createBucket(server!.url, bucket)
  })
  afterAll(async () => {
    await server?.stop()
  })

  artifactStoreConformance({
    name: 'gcp (fake-gcs-server)',
    create: () => gcsArtifactStore.create(gcsArtifactStore.config.parse(config), flavorContext()),
  })
  // The conformance suite's failing and aborted writes stop before one part is full; these stop midway
  // through a resumable upload, after several requests have gone out.
  it.each([
    ['one streaming request', {}],
    ['1 MiB chunks', { chunkSize: 1024 * 1024 }],
  ])('leaves nothing visible when a large source fails or is aborted midway (%s)', async (_mode, upload) => {
    const store = await gcsArtifactStore.create(
      gcsArtifactStore.config.parse({ ...config, ...upload }),
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
