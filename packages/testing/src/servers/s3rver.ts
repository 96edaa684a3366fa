import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  freePort,
  spawnServer,
  startTestServer,
  type TestServer,
  type TestServerResult,
} from '../test-server.js'

/** s3rver's built-in account: it checks the access key id (not SigV4 signatures). */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }

/**
 * The script that runs s3rver with its two deviations from S3 fixed (listing order, non-atomic
 * PutObject); run it with `node --openssl-legacy-provider <launcher> <s3rver arguments>`.
 */
export const s3rverLauncher = fileURLToPath(new URL('./s3rver-launcher.js', import.meta.url))

/**
 * Starts s3rver (the `s3rver` npm package, an optional peer dependency) on 127.0.0.1, keeping objects in
 * `directory`: start it again on the same directory and port to simulate a restart.
 * @throws Error with the server's output when it does not start
 */
export async function spawnS3rver(directory: string, port?: number): Promise<TestServer> {
  const chosen = port ?? (await freePort())
  return spawnServer({
    command: process.execPath,
    args: [
      // s3rver's continuation tokens use DES, which OpenSSL 3 only offers through its legacy provider.
      '--openssl-legacy-provider',
      s3rverLauncher,
      '--directory',
      directory,
      '--address',
      '127.0.0.1',
      '--port',
      String(chosen),
      '--silent',
      '--no-vhost-buckets',
    ],
    port: chosen,
  })
}

/** Starts s3rver for a test file on a fresh directory (or `directory`), or says why it cannot. */
export async function startS3rver(directory?: string): Promise<TestServerResult> {
  const dataDir = directory ?? (await mkdtemp(join(tmpdir(), 'strata-s3rver-')))
  return startTestServer('s3rver', 'add the s3rver package to your devDependencies: pnpm add -D s3rver', () =>
    spawnS3rver(dataDir),
  )
}
