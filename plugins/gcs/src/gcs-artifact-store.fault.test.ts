import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { isStrataError } from '@strata/core'
import { freePort, patternStream, startTestServer, type TestServer } from '@strata/testing'
import { createFakeGcsBucket as createBucket, spawnFakeGcs } from '@strata/testing/servers'
import { afterAll, describe, expect, it } from 'vitest'
import { flavorContext } from './gcs.test-helpers.js'
import { gcsArtifactStore } from './gcs-artifact-store-flavor.js'

const directory = await mkdtemp(join(tmpdir(), 'strata-fake-gcs-fault-'))
const port = await freePort()
let server: TestServer | undefined
const { skip } = await startTestServer(
  'fake-gcs-server',
  'install it with: bash .ci/setup/gcs.sh (go install of a pinned fake-gcs-server into .cache/bin)',
  async () => {
    server = await spawnFakeGcs(directory, port)
    return server
  },
)
const bucket = 'strata-fault'

describe.skipIf(skip)(
  'gcs artifact store when the server dies mid-upload (fake-gcs-server, filesystem backend)',
  () => {
    afterAll(async () => {
      await server?.stop()
      await rm(directory, { recursive: true, force: true })
    })

    it.each([
      ['one streaming request', {}],
      ['1 MiB chunks', { chunkSize: 1024 * 1024 }],
    ])(
      'fails the write promptly, leaves no object, and writes again once the server is back (%s)',
      async (_mode, upload) => {
        await createBucket(server!.url, bucket)
        const folder = 'chunkSize' in upload ? 'chunked/' : 'streamed/'
        const key = `${folder}weights.bin`
        const store = await gcsArtifactStore.create(
          gcsArtifactStore.config.parse({
            path: `gs://${bucket}/runs`,
            apiEndpoint: server!.url,
            projectId: 'strata-test',
            maxRetries: 1,
            ...upload,
          }),
          flavorContext(),
        )
        let sent = 0
        async function* slowly(): AsyncGenerator<Uint8Array> {
          for await (const chunk of patternStream(64 * 1024 * 1024)) {
            sent += chunk.byteLength
            await sleep(20)
            yield chunk
          }
        }
        const writing = store.write(key, slowly())
        while (sent < 6 * 1024 * 1024) await sleep(10)
        await server!.stop()

        const error = await writing.then(
          () => undefined,
          (thrown: unknown) => thrown,
        )
        // Which one depends on the moment: the next chunk finds no server, or the client's status query does.
        expect(['ARTIFACT_STORE_UNREACHABLE', 'ARTIFACT_STORE_UPLOAD_INTERRUPTED']).toContain(
          isStrataError(error) && error.code,
        )
        expect((error as Error).message).toMatch(
          /artifact store 'test-gcs' \(gs:\/\/strata-fault\/runs\): write '[a-z-]+\/weights\.bin' in bucket 'strata-fault': (cannot reach|http:\/\/127\.0\.0\.1:\d+ lost the resumable upload session)/,
        )
        // Promptly: the write failed while its source was still producing, not after draining all 64 MiB.
        expect(sent).toBeLessThan(64 * 1024 * 1024)

        server = await spawnFakeGcs(directory, port)
        expect(await store.stat(key)).toBeUndefined()
        expect((await store.list(folder)).entries).toEqual([])

        await store.write(key, patternStream(3 * 1024 * 1024))
        expect(await store.stat(key)).toMatchObject({ size: 3 * 1024 * 1024 })
      },
    )
  },
)
