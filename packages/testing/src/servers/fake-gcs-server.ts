import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  freePort,
  spawnServer,
  startTestServer,
  type TestServer,
  type TestServerResult,
} from '../test-server.js'
import { findTool } from './installed-tool.js'

const INSTALL_HINT =
  "install it with: bash .ci/setup/gcs.sh in Strata's repository (a pinned fake-gcs-server into .cache/bin), or go install github.com/fsouza/fake-gcs-server@latest"

/**
 * Starts fake-gcs-server on 127.0.0.1 with the filesystem backend in `directory`, so objects survive a
 * restart on the same port. The executable is `command`, else `.cache/bin/fake-gcs-server` above the
 * current folder, else `fake-gcs-server` on PATH.
 * @throws Error with the server's output when it does not start
 */
export async function spawnFakeGcs(directory: string, port?: number, command?: string): Promise<TestServer> {
  const executable = findTool('fake-gcs-server', 'bin/fake-gcs-server', command)
  const chosen = port ?? (await freePort())
  const url = `http://127.0.0.1:${chosen}`
  return spawnServer({
    command: executable,
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

/** Starts fake-gcs-server for a test file on a fresh directory (or `directory`), or says why it cannot. */
export async function startFakeGcs(directory?: string): Promise<TestServerResult> {
  const dataDir = directory ?? (await mkdtemp(join(tmpdir(), 'strata-fake-gcs-')))
  return startTestServer('fake-gcs-server', INSTALL_HINT, () => spawnFakeGcs(dataDir))
}

/** Creates a bucket through fake-gcs-server's JSON API (an existing one is fine). */
export async function createFakeGcsBucket(serverUrl: string, bucket: string): Promise<void> {
  const response = await fetch(`${serverUrl}/storage/v1/b?project=strata-test`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: bucket }),
  })
  if (!response.ok && response.status !== 409)
    throw new Error(`creating bucket ${bucket}: ${await response.text()}`)
}
