// A run's secret values never reach what it writes: step logs, journals, the store, CLI output — with
// steps in-process and in their own processes. Through the real binary, on a stack whose artifact store
// (a custom flavor with a secret field, registered as a user would) holds its token by reference.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSandbox, link, ok, type Result, type Sandbox } from './helpers.js'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')

// The store's token (in the artifact store's config, by reference) and a secret a step declares.
const STORE_CANARY = 'CANARY-store-7b3e19d4-never-write-me'
const STEP_CANARY = 'CANARY-step-52c8a0f1-never-write-me'
const CANARIES = [STORE_CANARY, STEP_CANARY]

// A third party's artifact store that needs a token: a directory (the local flavor) behind a secret field.
const VAULT_STORE = `
import { defineFlavor, definePlugin, secret } from '@strata/core'
import local from '@strata/local'
import { z } from 'zod'

const directory = local.flavors.find((flavor) => flavor.type === 'artifact_store')
export default definePlugin({
  name: 'vault-stores',
  flavors: [
    defineFlavor({
      apiVersion: 1,
      type: 'artifact_store',
      name: 'vault',
      description: 'A directory opened with a token (test)',
      isLocal: true,
      config: z.object({
        path: z.string().describe('Where artifacts go'),
        token: secret(z.string()).describe('The access token'),
      }),
      create: async (config, context) => {
        if (config.token.startsWith('{{')) throw new Error('the token reached the store unresolved')
        const store = await directory.create({ path: config.path }, context)
        if (process.env.VAULT_REFUSE !== '1') return store
        // A vault that refuses writes and, as some servers do, quotes the credential it refused.
        const refusing = { apiVersion: store.apiVersion, uri: store.uri }
        for (const name of Object.getOwnPropertyNames(Object.getPrototypeOf(store))) {
          if (name !== 'constructor' && typeof store[name] === 'function') refusing[name] = store[name].bind(store)
        }
        refusing.write = async () => {
          throw new Error('the vault refused token ' + config.token)
        }
        return refusing
      },
    }),
  ],
})
`

// Steps that leak on purpose. The values come from the environment (as a step may read a token a
// library hands it), never from the source: the code bundle in the store holds the source.
const PIPELINES = `
import { input, pipeline, step } from '@strata/sdk'

export const talk = step({ name: 'talk', secrets: ['step_api'] }, async (_inputs, ctx) => {
  const { LEAK_STORE, LEAK_STEP } = process.env
  console.log('store token', LEAK_STORE)
  ctx.logger.info('step key ' + LEAK_STEP, { token: LEAK_STORE })
  ctx.logMetadata({ token: LEAK_STORE!, nested: { [LEAK_STEP!]: [LEAK_STORE!] } })
  return 'said'
})

export const leak = step(
  {
    name: 'leak',
    inputs: { said: input<string>() },
    secrets: ['step_api'],
    retry: { maxRetries: 1, delay: 10 },
    onFailure: () => {
      throw new Error('step hook saw ' + process.env.LEAK_STEP)
    },
  },
  async ({ said }) => {
    console.error(said, 'and about to fail with', process.env.LEAK_STEP)
    throw new TypeError('cannot use ' + process.env.LEAK_STORE + ' or ' + process.env.LEAK_STEP)
  },
)

export const leaky = pipeline(
  {
    name: 'leaky',
    cache: false,
    onFailure: () => {
      throw new Error('pipeline hook saw ' + process.env.LEAK_STORE)
    },
  },
  () => {
    leak({ said: talk() })
  },
)
`

let sandbox: Sandbox
let storeRoot: string
const outputs: Array<{ args: string[]; result: Result }> = []
const leakEnv = { LEAK_STORE: STORE_CANARY, LEAK_STEP: STEP_CANARY }

async function strata(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Result> {
  const result = await sandbox.strata(args, { env: { ...leakEnv, ...env } })
  outputs.push({ args, result })
  return result
}

function runName(output: string): string {
  const match = /^run (\S+): \d+ steps? on stack/m.exec(output)
  if (!match) throw new Error(`no run name in: ${output}`)
  return match[1]!
}

/** Every file under `directory`, as bytes, with its path. */
function filesUnder(directory: string): Array<{ path: string; bytes: Buffer }> {
  return readdirSync(directory, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => {
      const path = join(entry.parentPath, entry.name)
      return { path, bytes: readFileSync(path) }
    })
}

beforeAll(async () => {
  sandbox = createSandbox()
  const modules = join(sandbox.project, 'node_modules')
  link(join(repo, 'packages/sdk'), join(modules, '@strata/sdk'))
  link(join(repo, 'plugins/local'), join(modules, '@strata/local'))
  writeFileSync(join(sandbox.project, 'vault-store.mjs'), VAULT_STORE)
  writeFileSync(join(sandbox.project, 'pipelines.ts'), PIPELINES)
  writeFileSync(
    join(sandbox.project, 'process.yaml'),
    'settings: { orchestrator.local: { isolation: process } }\n',
  )
  storeRoot = join(dirname(sandbox.configDir), 'vault-root')
  await ok(sandbox, ['secret', 'create', 'vault', `--token=${STORE_CANARY}`])
  await ok(sandbox, ['secret', 'create', 'step_api', `--key=${STEP_CANARY}`])
  await ok(sandbox, ['artifact-store', 'flavor', 'register', './vault-store.mjs'])
  await ok(sandbox, [
    'artifact-store',
    'register',
    'vault-store',
    '--flavor',
    'vault',
    `--path=${storeRoot}`,
    '--token={{vault.token}}',
  ])
  await ok(sandbox, ['stack', 'register', 'vaulted', '-o', 'default', '-a', 'vault-store', '--set'])
}, 120_000)
afterAll(() => sandbox?.cleanup())

describe("a run's secret values", () => {
  it.each([
    ['in-process', [] as string[]],
    ['with a process per step', ['--config', 'process.yaml']],
  ])(
    'never reach step logs, the journal, the store or any output (%s)',
    async (_label, extra) => {
      const started = await strata(['pipeline', 'run', 'pipelines.ts', ...extra])
      expect(started.code, started.stderr).toBe(1)
      const name = runName(started.stdout)
      // The steps really said and threw it: masked where it shows.
      expect(started.stdout).toContain('[talk] store token ********')
      expect(started.stdout).toMatch(/^step leak: failed — TypeError: cannot use \*{8} or \*{8}$/m)
      expect(started.stdout).toContain('pipeline onFailure hook failed: pipeline hook saw ********')

      const logs = await strata(['pipeline', 'runs', 'logs', name])
      expect(logs.code, logs.stderr).toBe(0)
      expect(logs.stdout).toContain('store token ********')
      expect(logs.stdout).toContain('step key ******** {"token":"********"}')
      expect(logs.stdout).toContain('said and about to fail with ********')
      expect(logs.stdout).toContain('TypeError: cannot use ******** or ********')
      expect(logs.stdout).toContain('onFailure hook failed: step hook saw ********')
      const described = JSON.parse((await strata(['run', 'describe', name, '--output', 'json'])).stdout) as {
        steps: Array<{ name: string; error: string | null; metadata: Record<string, unknown> }>
      }
      expect(described.steps.find((step) => step.name === 'leak')?.error).toBe(
        'TypeError: cannot use ******** or ********',
      )
      expect(described.steps.find((step) => step.name === 'talk')?.metadata).toEqual({
        token: '********',
        nested: { '********': ['********'] },
      })
      for (const args of [
        ['run', 'describe', name],
        ['pipeline', 'runs', 'logs', name, '--step', 'leak'],
        ['run', 'list', '--output', 'json'],
        ['run', 'list', '--output', 'yaml'],
      ]) {
        expect((await strata(args)).code, args.join(' ')).toBe(0)
      }
      expect((await strata(['run', 'describe', name], { STRATA_DEBUG: '1' })).code).toBe(0)

      for (const { args, result } of outputs) {
        for (const canary of CANARIES) {
          expect(result.stdout, `stdout of strata ${args.join(' ')}`).not.toContain(canary)
          expect(result.stderr, `stderr of strata ${args.join(' ')}`).not.toContain(canary)
        }
      }
      // The artifact store holds the run's snapshot, code bundle, inputs, step logs and (with a process
      // per step) the journal; the config dir holds the store (its WAL too) and the secrets key.
      const files = [...filesUnder(storeRoot), ...filesUnder(sandbox.configDir)]
      expect(files.some((file) => file.path.endsWith('logs.txt'))).toBe(true)
      if (extra.length > 0)
        expect(files.some((file) => /\/journal\/leak\/\d{13}-[0-9a-f]+-\d{6}\.json$/.test(file.path))).toBe(
          true,
        )
      for (const file of files) {
        for (const canary of CANARIES) expect(file.bytes.includes(canary), file.path).toBe(false)
      }
      const dump = JSON.stringify(sandbox.dump())
      for (const canary of CANARIES) expect(dump).not.toContain(canary)
    },
    120_000,
  )

  it('never reach the error of a run whose artifact store fails outside the steps', async () => {
    const failed = await strata(['pipeline', 'run', 'pipelines.ts'], { VAULT_REFUSE: '1' })
    expect(failed.code).toBe(1)
    expect(failed.stderr).toMatch(
      /^Error: artifact store 'vault-store' \(vault\): write 'runs\/[0-9a-f-]+\/snapshot\.json' failed: the vault refused token \*{8} — check that the store is reachable and its credentials allow this$/m,
    )
    const name = runName(failed.stdout)
    const described = JSON.parse((await strata(['run', 'describe', name, '--output', 'json'])).stdout) as {
      status: string
      error: string
    }
    expect(described.status).toBe('failed')
    expect(described.error).toContain('the vault refused token ********')
    const debug = await strata(['pipeline', 'run', 'pipelines.ts'], { VAULT_REFUSE: '1', STRATA_DEBUG: '1' })
    expect(debug.stderr).toContain('the vault refused token ********')
    for (const result of [failed, debug]) {
      for (const canary of CANARIES) expect(result.stdout + result.stderr).not.toContain(canary)
    }
    const dump = JSON.stringify(sandbox.dump())
    for (const canary of CANARIES) expect(dump).not.toContain(canary)
  }, 120_000)
})
