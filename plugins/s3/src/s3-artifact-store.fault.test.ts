import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { isStrataError } from '@strata/core'
import { freePort, patternStream, startTestServer, type TestServer } from '@strata/testing'
import { S3RVER_CREDENTIALS, spawnS3rver } from '@strata/testing/servers'
import { afterAll, describe, expect, it } from 'vitest'
import { s3ArtifactStore } from './s3-artifact-store-flavor.js'
import { createBucket, flavorContext, rawClient } from './s3-client.test-helpers.js'

const directory = await mkdtemp(join(tmpdir(), 'strata-s3rver-fault-'))
const port = await freePort()
let server: TestServer | undefined
const { skip } = await startTestServer(
  's3rver',
  "reinstall the workspace's dependencies: pnpm install",
  async () => {
    server = await spawnS3rver(directory, port)
    return server
  },
)
const bucket = 'strata-fault'

describe.skipIf(skip)('s3 artifact store when the server dies mid-upload (s3rver)', () => {
  afterAll(async () => {
    await server?.stop()
    await rm(directory, { recursive: true, force: true })
  })

  it('fails the write promptly, leaves no object, and writes again once the server is back', async () => {
    await createBucket(rawClient(server!.url, S3RVER_CREDENTIALS), bucket)
    const store = await s3ArtifactStore.create(
      s3ArtifactStore.config.parse({
        path: `s3://${bucket}/runs`,
        endpoint: server!.url,
        ...S3RVER_CREDENTIALS,
        partSize: 5 * 1024 * 1024,
        uploadConcurrency: 2,
      }),
      flavorContext(),
    )
    let sent = 0
    async function* slowly(): AsyncGenerator<Uint8Array> {
      // 64 MiB at ~50 MiB/s: the server is stopped while parts are in flight.
      for await (const chunk of patternStream(64 * 1024 * 1024)) {
        sent += chunk.byteLength
        await sleep(20)
        yield chunk
      }
    }
    const writing = store.write('model/weights.bin', slowly())
    while (sent < 12 * 1024 * 1024) await sleep(10)
    await server!.stop()

    const error = await writing.then(
      () => undefined,
      (thrown: unknown) => thrown,
    )
    expect(isStrataError(error) && error.code).toBe('ARTIFACT_STORE_UNREACHABLE')
    expect((error as Error).message).toMatch(
      /artifact store 'test-s3' \(s3:\/\/strata-fault\/runs\): write 'model\/weights\.bin' in bucket 'strata-fault': cannot reach http:\/\/127\.0\.0\.1:\d+/,
    )
    // Promptly: the write failed while its source was still producing, not after draining all 64 MiB.
    expect(sent).toBeLessThan(64 * 1024 * 1024)

    server = await spawnS3rver(directory, port)
    expect(await store.stat('model/weights.bin')).toBeUndefined()
    expect((await store.list('model/')).entries).toEqual([])

    await store.write('model/weights.bin', patternStream(11 * 1024 * 1024))
    expect(await store.stat('model/weights.bin')).toMatchObject({ size: 11 * 1024 * 1024 })
    await store.close?.()
  })
})
