// `strata stack validate` on stacks whose artifact store is a real S3 (moto) or GCS (fake-gcs-server)
// bucket, through the built binary in a project that installed the plugin.
import { createServer } from 'node:net'
import {
  createFakeGcsBucket as createGcsBucket,
  MOTO_CREDENTIALS,
  startFakeGcs,
  startMoto,
} from '@strata/testing/servers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createBucket as createS3Bucket,
  listKeys,
  rawClient,
} from '../../../plugins/s3/src/s3-client.test-helpers.js'
import { addWorkspacePlugin, createSandbox, ok, type Result, type Sandbox } from './helpers.js'

const CANARY = 'canary-validate-secret-4b7e1d'
const moto = await startMoto()
const gcs = await startFakeGcs()

/** A port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as { port: number }
  await new Promise((resolve) => probe.close(resolve))
  return port
}

let sandbox: Sandbox
const results: Result[] = []

beforeAll(async () => {
  sandbox = createSandbox()
  addWorkspacePlugin(sandbox, 's3')
  addWorkspacePlugin(sandbox, 'gcs')
  // moto without IAM enforcement accepts any secret key, so the canary can be the one in use.
  await ok(sandbox, ['secret', 'create', 'aws', `--access_key_id=${MOTO_CREDENTIALS.accessKeyId}`])
  await ok(sandbox, ['secret', 'update', 'aws', `--secret_access_key=${CANARY}`])
}, 60_000)
afterAll(async () => {
  sandbox?.cleanup()
  await moto.server?.stop()
  await gcs.server?.stop()
})

async function strata(args: string[]): Promise<Result> {
  const result = await sandbox.strata(args)
  results.push(result)
  return result
}

/** Registers an artifact store and a stack of it with the default orchestrator. */
async function stackWith(name: string, flavorArgs: string[]): Promise<void> {
  await ok(sandbox, ['artifact-store', 'register', name, ...flavorArgs])
  await ok(sandbox, ['stack', 'register', name, '-o', 'default', '-a', name])
}

/** Validates a stack that must fail: exit 1, the store rows untouched, and one error line. */
async function expectInvalid(stack: string): Promise<string> {
  const before = sandbox.dump()
  const result = await strata(['stack', 'validate', stack])
  expect(result.code, result.stderr).toBe(1)
  expect(result.stdout).toBe('')
  expect(sandbox.dump()).toEqual(before)
  const errors = result.stderr.split('\n').filter((line) => line.startsWith('Error: '))
  expect(errors, result.stderr).toHaveLength(1)
  expect(result.stderr).toContain(`✘ artifact store '${stack}': failed`)
  return errors[0]!
}

describe.skipIf(moto.skip)('strata stack validate: an S3 artifact store on moto', () => {
  const s3 = (name: string, path: string, endpoint: string) =>
    stackWith(name, [
      '--flavor',
      's3',
      '--path',
      path,
      '--endpoint',
      endpoint,
      '--access-key-id={{aws.access_key_id}}',
      '--secret-access-key={{aws.secret_access_key}}',
    ])

  it('passes when the bucket is reachable, and leaves no probe object behind', async () => {
    await createS3Bucket(rawClient(moto.server!.url), 'validate-ok')
    await s3('s3-ok', 's3://validate-ok/team', moto.server!.url)
    const result = await strata(['stack', 'validate', 's3-ok'])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stderr).toContain("✔ artifact store 's3-ok': reachable")
    expect(result.stderr).toContain("Stack 's3-ok' is valid.")
    expect(await listKeys(rawClient(moto.server!.url), 'validate-ok')).toEqual([])
  })

  it('fails for a missing bucket, naming the store, the bucket and how to fix it', async () => {
    await s3('s3-missing', 's3://validate-no-such-bucket/team', moto.server!.url)
    expect(await expectInvalid('s3-missing')).toMatch(
      /^Error: stack 's3-missing': artifact store 's3-missing' \(s3:\/\/validate-no-such-bucket\/team\): bucket 'validate-no-such-bucket' does not exist at http:\/\/127\.0\.0\.1:\d+ — create it \(e\.g\. 'aws s3 mb s3:\/\/validate-no-such-bucket'\) or fix the component's 'path'$/,
    )
  })

  it('fails promptly for an unreachable endpoint, naming the store, the bucket and what to check', async () => {
    // Promptly: a closed port refuses at once; retrying it for long would run into the test's timeout.
    await s3('s3-unreachable', 's3://validate-ok/team', `http://127.0.0.1:${await closedPort()}`)
    expect(await expectInvalid('s3-unreachable')).toMatch(
      /^Error: stack 's3-unreachable': artifact store 's3-unreachable' \(s3:\/\/validate-ok\/team\): list '' in bucket 'validate-ok': cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\) — check 'endpoint'\/'region', that the server is running and that this machine can reach it$/,
    )
  })
})

describe.skipIf(gcs.skip)('strata stack validate: a GCS artifact store on fake-gcs-server', () => {
  const gcp = (name: string, path: string, endpoint: string) =>
    stackWith(name, ['--flavor', 'gcp', '--path', path, '--api-endpoint', endpoint, '--project-id', 'strata'])

  it('passes when the bucket is reachable, and leaves no probe object behind', async () => {
    await createGcsBucket(gcs.server!.url, 'validate-ok')
    await gcp('gcs-ok', 'gs://validate-ok/team', gcs.server!.url)
    const result = await strata(['stack', 'validate', 'gcs-ok'])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stderr).toContain("✔ artifact store 'gcs-ok': reachable")
    expect(result.stderr).toContain("Stack 'gcs-ok' is valid.")
    const listed = (await (await fetch(`${gcs.server!.url}/storage/v1/b/validate-ok/o`)).json()) as {
      items?: unknown[]
    }
    expect(listed.items ?? []).toEqual([])
  })

  it('fails for a missing bucket, naming the store, the bucket and how to fix it', async () => {
    await gcp('gcs-missing', 'gs://validate-no-such-bucket/team', gcs.server!.url)
    expect(await expectInvalid('gcs-missing')).toMatch(
      /^Error: stack 'gcs-missing': artifact store 'gcs-missing' \(gs:\/\/validate-no-such-bucket\/team\): bucket 'validate-no-such-bucket' does not exist at http:\/\/127\.0\.0\.1:\d+ — create it \(e\.g\. 'gcloud storage buckets create gs:\/\/validate-no-such-bucket'\) or fix the component's 'path'$/,
    )
  })

  it('fails promptly for an unreachable endpoint, naming the store, the bucket and what to check', async () => {
    // Promptly: a closed port refuses at once; retrying it for long would run into the test's timeout.
    await gcp('gcs-unreachable', 'gs://validate-ok/team', `http://127.0.0.1:${await closedPort()}`)
    expect(await expectInvalid('gcs-unreachable')).toMatch(
      /^Error: stack 'gcs-unreachable': artifact store 'gcs-unreachable' \(gs:\/\/validate-ok\/team\): list '' in bucket 'validate-ok': cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\) — check 'apiEndpoint', that the server is running and that this machine can reach it$/,
    )
  })
})

describe.skipIf(moto.skip)('strata stack validate output', () => {
  it('never shows the secret key used by the S3 store', () => {
    expect(results.length).toBeGreaterThan(0)
    for (const result of results) expect(`${result.stdout}${result.stderr}`).not.toContain(CANARY)
  })
})
