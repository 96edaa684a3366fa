// Class 9 of the fault suite: validation means what it says, and nothing hangs. Through the real binary: a
// local artifact store under a regular file, or under /proc (where a recursive mkdir never returns), is
// refused by `strata stack validate` with the reason — it creates and removes a probe instead of listing
// a folder that is not there — and a run on it fails at once with the same reason instead of spinning; an
// artifact store that stops answering fails validate and a run after the bound, with a coded error naming
// the operation and the bound. After each fault: the store is whole, no run is left running without its
// owner, no artifact lost or changed, no canary printed.
import { existsSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSandbox, link, ok, type Result, type Sandbox } from '../helpers.js'
import { afterFault } from './after-fault.js'
import { faultReport } from './fault-report.js'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..')
const report = faultReport('validation')
const CANARY = 'canary-validation-93b1fe'
/** The bound the stalled store is given: short, so the test does not wait out the 5-minute default. */
const BOUND_MS = 1_500

const PIPELINES = `
import { pipeline, step } from '@strata/sdk'
export const hello = step({ name: 'hello', secrets: ['fault_canary'] }, async () => 'hello ' + process.env.FAULT_TOKEN.length)
export const greeting = pipeline({ name: 'greeting', cache: false }, () => {
  hello()
})
`

// An artifact store whose calls never answer (a server that accepted the connection and went silent, a
// hung network filesystem). Nothing else keeps the process alive: only the bound's timer does.
const STALLED_STORE = `
import { defineFlavor, definePlugin } from '@strata/core'
import { z } from 'zod'
const never = () => new Promise(() => {})
export default definePlugin({
  name: 'stalled-store',
  flavors: [
    defineFlavor({
      apiVersion: 1,
      type: 'artifact_store',
      name: 'stalled',
      description: 'Never answers (test)',
      isLocal: true,
      config: z.object({ token: z.string().optional() }),
      create: async () => ({
        apiVersion: 1,
        uri: 'stalled://store',
        write: never, read: never, stat: never, list: never, delete: never, deletePrefix: never,
      }),
    }),
  ],
})
`

let sandbox: Sandbox
const outputs: Result[] = []

async function strata(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Result> {
  const result = await sandbox.strata(args, { env: { FAULT_TOKEN: CANARY, ...env } })
  outputs.push(result)
  return result
}

async function survived(fault: string, held: boolean): Promise<void> {
  const problems = await afterFault(sandbox, { outputs, canaries: [CANARY] })
  report.tried(fault, held && problems.length === 0)
  expect(problems).toEqual([])
  expect(held).toBe(true)
}

/** Registers a stack of the default orchestrator and `store`, and makes it active. */
async function stackOf(name: string, storeArgs: string[]): Promise<void> {
  await ok(sandbox, ['artifact-store', 'register', name, ...storeArgs])
  await ok(sandbox, ['stack', 'register', name, '-o', 'default', '-a', name])
}

beforeAll(async () => {
  sandbox = createSandbox()
  link(join(repo, 'packages/sdk'), join(sandbox.project, 'node_modules/@strata/sdk'))
  writeFileSync(join(sandbox.project, 'pipelines.ts'), PIPELINES)
  writeFileSync(join(sandbox.project, 'stalled-store.mjs'), STALLED_STORE)
  writeFileSync(join(sandbox.project, 'a-file'), 'not a folder')
  await ok(sandbox, ['secret', 'create', 'fault_canary', `--token=${CANARY}`])
  await ok(sandbox, ['artifact-store', 'flavor', 'register', 'stalled-store.mjs'])
  // A run that completed before the faults: its artifact must come through all of them.
  await ok(sandbox, ['pipeline', 'run', 'pipelines.ts', '--name', 'greeting'], {
    env: { FAULT_TOKEN: CANARY },
  })
}, 60_000)
afterAll(() => sandbox?.cleanup())

/** Validates a stack that must be refused: exit 1, the store rows as they were, the component named. */
async function refused(
  stack: string,
  env: NodeJS.ProcessEnv = {},
): Promise<{ result: Result; error: string }> {
  const before = sandbox.dump()
  const result = await strata(['stack', 'validate', stack], env)
  expect(result.code, result.stderr).toBe(1)
  expect(result.stderr).toContain(`✘ artifact store '${stack}': failed`)
  expect(result.stderr).not.toContain(`'${stack}': reachable`)
  expect(sandbox.dump()).toEqual(before)
  const error = result.stderr.split('\n').find((line) => line.startsWith('Error: ')) ?? ''
  return { result, error }
}

/** Runs the pipeline on `stack` (made active for the run). */
async function runOn(stack: string, env: NodeJS.ProcessEnv = {}): Promise<Result> {
  await ok(sandbox, ['stack', 'set', stack])
  try {
    return await strata(['pipeline', 'run', 'pipelines.ts', '--name', 'greeting'], env)
  } finally {
    await ok(sandbox, ['stack', 'set', 'default'])
  }
}

describe('a local artifact store where no folder can be', () => {
  it('under a regular file: validate refuses it naming the file, and a run fails with the same reason', async () => {
    const path = join(sandbox.project, 'a-file/store')
    await stackOf('under-file', ['--flavor', 'local', '--path', path])
    const { error } = await refused('under-file')
    const reason = `local artifact store at ${path} cannot hold artifacts: ${join(sandbox.project, 'a-file')} is a file, not a folder`
    expect(error).toContain(reason)
    const run = await runOn('under-file')
    expect(run.code).toBe(1)
    expect(run.stderr).toContain(reason)
    await survived(
      'validate and run: a local store under a regular file',
      error.includes(reason) && run.code === 1,
    )
  })

  it.skipIf(!existsSync('/proc/self'))(
    'under /proc: validate refuses it at once instead of spinning, and so does a run',
    async () => {
      await stackOf('under-proc', ['--flavor', 'local', '--path', '/proc/strata-fault/store'])
      // No time limit here: a recursive mkdir under /proc never returns, so the test's timeout is the guard.
      const { error } = await refused('under-proc')
      const reason = '/proc is on a proc filesystem, which holds no files'
      expect(error).toContain('local artifact store at /proc/strata-fault/store cannot hold artifacts')
      expect(error).toContain(reason)
      const run = await runOn('under-proc')
      expect(run.code).toBe(1)
      expect(run.stderr).toContain(reason)
      await survived('validate and run: a local store under /proc', error.includes(reason) && run.code === 1)
    },
  )
})

describe('an artifact store that stops answering', () => {
  it('fails validate after its bound, with the operation and the bound named', async () => {
    await stackOf('stalled', ['--flavor', 'stalled'])
    const { error } = await refused('stalled', { STRATA_ARTIFACT_STORE_TIMEOUT_MS: String(BOUND_MS) })
    const named = `artifact store 'stalled' (stalled): verify made no progress for ${BOUND_MS} ms (its bound)`
    expect(error).toContain(named)
    await survived('validate: an artifact store that never answers', error.includes(named))
  })

  it('fails a run after its bound instead of hanging, and leaves no run running', async () => {
    const run = await runOn('stalled', { STRATA_ARTIFACT_STORE_TIMEOUT_MS: String(BOUND_MS) })
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(
      new RegExp(
        `artifact store 'stalled' \\(stalled\\): \\w+ '[^']*' made no progress for ${BOUND_MS} ms \\(its bound\\)`,
      ),
    )
    const running = JSON.parse(
      (await strata(['run', 'list', '--status', 'running', '--output', 'json'])).stdout,
    )
    expect(running.items).toEqual([])
    await survived('run: an artifact store that never answers', run.code === 1 && running.items.length === 0)
  })
})
