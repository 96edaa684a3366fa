import { existsSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FlavorContext, Logger } from '@strata/core'
import {
  freePort,
  spawnServer,
  startTestServer,
  type TestServer,
  type TestServerResult,
} from '@strata/testing'

/** The repository root (tests run from any cwd). */
export const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url))
/** Where `.ci/setup/gcs.sh` installs fake-gcs-server. */
export const fakeGcsServerBin = join(repositoryRoot, '.cache/bin/fake-gcs-server')
const INSTALL_HINT =
  'install it with: bash .ci/setup/gcs.sh (go install of a pinned fake-gcs-server into .cache/bin)'

// With an apiEndpoint the client sends no credentials, but nothing in a test may ever go looking for the
// GCE metadata server (a non-loopback address).
process.env.METADATA_SERVER_DETECTION = 'none'

/**
 * Starts fake-gcs-server on 127.0.0.1 with the filesystem backend in `directory`, so objects survive a
 * restart on the same port.
 */
export async function spawnFakeGcs(directory: string, port?: number): Promise<TestServer> {
  if (!existsSync(fakeGcsServerBin)) throw new Error(`${fakeGcsServerBin} is missing`)
  const chosen = port ?? (await freePort())
  const url = `http://127.0.0.1:${chosen}`
  return spawnServer({
    command: fakeGcsServerBin,
    args: [
      '-scheme',
      'http',
      '-host',
      '127.0.0.1',
      '-port',
      String(chosen),
      '-backend',
      'filesystem',
      '-filesystem-root',
      directory,
      // Resumable uploads continue at the Location the server hands out: it must be this address.
      '-external-url',
      url,
      '-public-host',
      `127.0.0.1:${chosen}`,
      '-log-level',
      'error',
    ],
    port: chosen,
    readyPath: '/storage/v1/b',
  })
}

export async function startFakeGcs(directory?: string): Promise<TestServerResult> {
  const dataDir = directory ?? (await mkdtemp(join(tmpdir(), 'strata-fake-gcs-')))
  return startTestServer('fake-gcs-server', INSTALL_HINT, () => spawnFakeGcs(dataDir))
}

export async function createBucket(serverUrl: string, bucket: string): Promise<void> {
  const response = await fetch(`${serverUrl}/storage/v1/b?project=strata-test`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: bucket }),
  })
  if (!response.ok && response.status !== 409)
    throw new Error(`creating bucket ${bucket}: ${await response.text()}`)
}

/** A logger that keeps every line, so tests can check that no secret reached it. */
export function capturingLogger(): Logger & { lines: string[] } {
  const lines: string[] = []
  const log =
    (level: string) =>
    (message: string, fields?: Record<string, unknown>): void => {
      lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`)
    }
  return { lines, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') }
}

export function flavorContext(logger: Logger = capturingLogger()): FlavorContext {
  return { componentName: 'test-gcs', componentId: 'test', dataDir: tmpdir(), logger }
}
