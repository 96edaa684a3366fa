// Class 4 of the fault suite: an artifact is what was written, or an error. Through the real binary, on the
// local store (in-process and with a process per step) and on S3 (moto): an output deleted, or changed at
// the same size or another, is caught — a load fails with ARTIFACT_CORRUPT / ARTIFACT_MISSING naming the
// version and its prefix, the next run runs the producing step again and prints why, `resume` redoes what a
// pending step needs, and `artifact describe` shows the version's data as it is. After each fault: the
// store is whole, no run is left running without its owner, no other artifact lost or changed, no canary
// printed.
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { MOTO_CREDENTIALS, startMoto } from '@strata/testing/servers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

type Client = ReturnType<typeof rawClient>

import {
  createBucket,
  deleteObject,
  listKeys,
  rawClient,
  readObject,
  writeObject,
} from '../../../../plugins/s3/src/s3-client.test-helpers.js'
import { addWorkspacePlugin, createSandbox, link, ok, type Result, type Sandbox } from '../helpers.js'
import { afterFault } from './after-fault.js'
import { faultReport } from './fault-report.js'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..')
const report = faultReport('artifact-integrity')
const CANARY = 'canary-integrity-7f3a9c21'
const S3_CANARY = 'canary-integrity-s3-key-51d0e8'
const moto = await startMoto()

// produce → consume: consume never comes from the cache, so every run loads what produce saved.
const PIPELINES = `
import { input, pipeline, step } from '@strata/sdk'

export const produce = step({ name: 'produce', secrets: ['fault_canary'] }, async () => {
  console.log('producing with', process.env.FAULT_TOKEN)
  return { rows: Array.from({ length: 64 }, (_, index) => index * 3) }
})
export const consume = step(
  { name: 'consume', inputs: { data: input<{ rows: number[] }>() }, cache: false, secrets: ['fault_canary'] },
  async ({ data }) => {
    if (process.env.BREAK_CONSUME === '1') throw new Error('consume is broken ' + process.env.FAULT_TOKEN)
    return data.rows.reduce((sum, value) => sum + value, 0)
  },
)
export const chain = pipeline({ name: 'chain' }, () => {
  consume({ data: produce() })
})
`

let sandbox: Sandbox
const outputs: Result[] = []
const damaged = new Set<string>()

async function strata(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Result> {
  const result = await sandbox.strata(args, { env: { FAULT_TOKEN: CANARY, ...env } })
  outputs.push(result)
  return result
}

function runName(output: string): string {
  const match = /^run (\S+): \d+ steps? on stack/m.exec(output)
  if (!match) throw new Error(`no run name in: ${output}`)
  return match[1] as string
}

interface Version {
  id: string
  version: number
  prefix: string
  artifactStoreUri: string
  digest: string
}

async function newestProduced(): Promise<Version> {
  const result = await ok(sandbox, ['artifact', 'describe', 'chain::produce::output', '--output', 'json'])
  return JSON.parse(result.stdout) as Version
}

/** The one file of a local version. */
function localFile(version: Version): string {
  const directory = join(fileURLToPath(version.artifactStoreUri), version.prefix)
  const [name] = readdirSync(directory)
  if (!name) throw new Error(`no file under ${directory}`)
  return join(directory, name)
}

/** Runs the fault's checks, records it, and fails the test with what did not hold. */
async function survived(
  fault: string,
  held: boolean,
  remoteDigest?: (uri: string, prefix: string) => Promise<string | undefined>,
): Promise<void> {
  const problems = await afterFault(sandbox, {
    outputs,
    canaries: [CANARY, S3_CANARY],
    damaged,
    ...(remoteDigest ? { remoteDigest } : {}),
  })
  report.tried(fault, held && problems.length === 0)
  expect(problems).toEqual([])
  expect(held).toBe(true)
}

beforeAll(async () => {
  sandbox = createSandbox()
  link(join(repo, 'packages/sdk'), join(sandbox.project, 'node_modules/@strata/sdk'))
  addWorkspacePlugin(sandbox, 's3')
  writeFileSync(join(sandbox.project, 'pipelines.ts'), PIPELINES)
  writeFileSync(
    join(sandbox.project, 'process.yaml'),
    'settings: { orchestrator.local: { isolation: process } }\n',
  )
  await ok(sandbox, ['secret', 'create', 'fault_canary', `--token=${CANARY}`])
}, 60_000)
afterAll(async () => {
  sandbox?.cleanup()
  await moto.server?.stop()
})

const run = (config: string[] = [], env: NodeJS.ProcessEnv = {}) =>
  strata(['pipeline', 'run', 'pipelines.ts', '--name', 'chain', ...config], env)

describe.each([
  ['in-process', [] as string[]],
  ['a process per step', ['--config', 'process.yaml']],
])('the local store, %s', (isolation, config) => {
  it('a deleted output: the next run makes it again and says why', async () => {
    expect((await run(config)).code).toBe(0)
    const lost = await newestProduced()
    rmSync(localFile(lost))
    damaged.add(lost.id)

    const again = await run(config)
    const reason = `step produce: not taken from the cache: its output 'output' (artifact 'chain::produce::output' (version ${lost.id}, prefix ${lost.prefix} in ${lost.artifactStoreUri})): its files are gone — running it again`
    const held =
      again.code === 0 && again.stdout.includes(reason) && /^step produce: completed/m.test(again.stdout)
    expect(again.stdout).toContain(reason)
    await survived(`${isolation}: output deleted, next run`, held)
  })

  it('bytes changed at the same size: the load fails naming the version, and the next run makes them again', async () => {
    await run(config)
    const changed = await newestProduced()
    sameSizeChange(localFile(changed))
    damaged.add(changed.id)

    const failed = await run(config)
    const named = `artifact 'chain::produce::output' (version ${changed.id}, prefix ${changed.prefix} in ${changed.artifactStoreUri}) does not match its recorded digest`
    expect(failed.code).toBe(1)
    expect(failed.stdout + failed.stderr).toContain(named)
    const again = await run(config)
    expect(again.code).toBe(0)
    expect(again.stdout).toMatch(
      /step produce: not taken from the cache: .* found that its \d+ bytes have the recorded size but other content — running it again/,
    )
    await survived(
      `${isolation}: output changed (same size), load then next run`,
      failed.code === 1 && (failed.stdout + failed.stderr).includes(named) && again.code === 0,
    )
  })

  it('bytes changed at another size: the next run does not take it from the cache', async () => {
    await run(config)
    const changed = await newestProduced()
    writeFileSync(localFile(changed), '{"rows":[]}')
    damaged.add(changed.id)
    const again = await run(config)
    expect(again.code).toBe(0)
    expect(again.stdout).toMatch(
      /step produce: not taken from the cache: .*: it holds 11 bytes, \d+ were saved — running it again/,
    )
    await survived(`${isolation}: output changed (other size), next run`, again.code === 0)
  })

  it('resume redoes a done step whose lost output the failed step needs', async () => {
    const failed = await run(config, { BREAK_CONSUME: '1' })
    expect(failed.code).toBe(1)
    const name = runName(failed.stdout)
    const lost = await newestProduced()
    rmSync(localFile(lost))
    damaged.add(lost.id)
    const resumed = await strata(['pipeline', 'runs', 'resume', name])
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(resumed.stdout).toContain(
      "step produce: runs again: its output 'output' (artifact 'chain::produce::output'",
    )
    expect(resumed.stdout).toMatch(/^step consume: completed/m)
    await survived(`${isolation}: output lost, resume`, resumed.code === 0)
  })
})

/** Rewrites a saved `{"rows":[0,3,…]}` with other bytes of the same size (still valid JSON). */
function sameSizeChange(path: string): void {
  const text = readFileSync(path, 'utf8')
  const changed = text.replace('"rows":[0,3', '"rows":[9,3')
  expect(changed).not.toBe(text)
  writeFileSync(path, changed)
}

describe('artifact describe shows what is left of a version', () => {
  it('present, DAMAGED when --verify reads changed bytes, MISSING when the files are gone; never an error', async () => {
    await run()
    const version = await newestProduced()
    const present = await strata([
      'artifact',
      'describe',
      'chain::produce::output',
      '--version',
      String(version.version),
    ])
    expect(present.code).toBe(0)
    expect(present.stdout).toMatch(/Data\s+present \(1 file, .*\)/)
    const path = localFile(version)
    sameSizeChange(path)
    damaged.add(version.id)
    const verified = await strata([
      'artifact',
      'describe',
      'chain::produce::output',
      '--version',
      String(version.version),
      '--verify',
    ])
    expect(verified.code).toBe(0)
    expect(verified.stdout).toMatch(/Data\s+DAMAGED — its \d+ bytes have the recorded size but other content/)
    rmSync(path)
    const gone = await strata([
      'artifact',
      'describe',
      'chain::produce::output',
      '--version',
      String(version.version),
      '--output',
      'json',
    ])
    expect(gone.code).toBe(0)
    expect(JSON.parse(gone.stdout).data).toEqual({
      state: 'missing',
      files: 0,
      size: 0,
      reason: 'its files are gone',
    })
    await survived(
      'describe of a lost and a damaged version',
      present.code === 0 && verified.code === 0 && gone.code === 0,
    )
  })
})

/** A version's digest as stored in a bucket, computed behind the store's back. */
async function s3Digest(client: Client, uri: string, prefix: string): Promise<string | undefined> {
  const [, bucket = '', root = ''] = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri) ?? []
  const base = root ? `${root.replace(/\/$/, '')}/${prefix}` : prefix
  const keys = (await listKeys(client, bucket, base)).sort()
  if (keys.length === 0) return undefined
  const digest = createHash('sha256')
  for (const key of keys) {
    const fileDigest = createHash('sha256')
      .update(await readObject(client, bucket, key))
      .digest('hex')
    digest.update(`${key.slice(base.length)}\0${fileDigest}\n`)
  }
  return digest.digest('hex')
}

describe.skipIf(moto.skip)('an S3 artifact store on moto', () => {
  let client: Client
  const key = (version: Version) => `strata/${version.prefix}data.json`

  beforeAll(async () => {
    client = rawClient(moto.server!.url)
    await createBucket(client, 'integrity')
    await ok(sandbox, [
      'secret',
      'create',
      'aws',
      `--access_key_id=${MOTO_CREDENTIALS.accessKeyId}`,
      `--secret_access_key=${S3_CANARY}`,
    ])
    await ok(sandbox, [
      'artifact-store',
      'register',
      'bucket',
      '--flavor',
      's3',
      '--path',
      's3://integrity/strata',
      '--endpoint',
      moto.server!.url,
      '--access-key-id={{aws.access_key_id}}',
      '--secret-access-key={{aws.secret_access_key}}',
    ])
    await ok(sandbox, ['stack', 'register', 'on-s3', '-o', 'default', '-a', 'bucket', '--set'])
  }, 60_000)

  it('a deleted object: the next run makes it again and says why', async () => {
    expect((await run()).code).toBe(0)
    const lost = await newestProduced()
    expect(lost.artifactStoreUri).toBe('s3://integrity/strata')
    await deleteObject(client, 'integrity', key(lost))
    damaged.add(lost.id)
    const again = await run()
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toContain(
      `(version ${lost.id}, prefix ${lost.prefix} in s3://integrity/strata)): its files are gone — running it again`,
    )
    await survived('s3: object deleted, next run', again.code === 0, (uri, prefix) =>
      s3Digest(client, uri, prefix),
    )
  })

  it('an object rewritten with other bytes of the same size: the load fails, the next run makes it again', async () => {
    await run()
    const changed = await newestProduced()
    const body = Buffer.from(await readObject(client, 'integrity', key(changed))).toString()
    const tampered = body.replace('"rows":[0,3', '"rows":[9,3')
    expect(tampered).not.toBe(body)
    await writeObject(client, 'integrity', key(changed), tampered)
    damaged.add(changed.id)
    const failed = await run()
    expect(failed.code).toBe(1)
    expect(failed.stdout + failed.stderr).toContain(
      `(version ${changed.id}, prefix ${changed.prefix} in s3://integrity/strata) does not match its recorded digest`,
    )
    const again = await run()
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toContain('found that its')
    await survived(
      's3: object changed (same size), load then next run',
      failed.code === 1 && again.code === 0,
      (uri, prefix) => s3Digest(client, uri, prefix),
    )
  })
})
