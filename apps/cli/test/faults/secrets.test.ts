// Class 6 of the fault suite: secrets stay masked on every path out of a step, and a store never mixes two
// secrets keys. Through the real binary, in both isolations: a step prints a secret's value through
// console.log and console.error, raw process.stdout.write and process.stderr.write (strings, a Buffer,
// bytes, a value split across two writes) and, in a step process, below Node's streams (fs.writeSync on
// fds 1 and 2, a program it runs with inherited stdio): the value never reaches the CLI's stdout or stderr,
// the step's log (`runs logs`), the store or any file of the artifact store — the masked text is shown
// and kept in the log. `secret create` with a secrets key that cannot decrypt the stored secrets is
// refused, and so is a run that needs them, naming the key and no value. After each fault: the store passes SQLite's integrity check, no run is left running without a
// live owner, no completed artifact lost or altered, no canary printed.
// (secret-leaks.test.ts and run-secret-leaks.test.ts cover the CLI's own commands and a step's logger,
// metadata, errors and hooks.)
import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSandbox, link, ok, type Result, type Sandbox } from '../helpers.js'
import { afterFault } from './after-fault.js'
import { faultReport } from './fault-report.js'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..')
const report = faultReport('secrets')
const CANARY = 'canary-secrets-7f3b10d4'

// The value comes from the environment (as a step may read a token a library hands it), never from the
// source: the code bundle in the artifact store holds the source.
const PIPELINES = `
import { spawnSync } from 'node:child_process'
import { writeSync } from 'node:fs'
import { pipeline, step } from '@strata/sdk'

export const speak = step({ name: 'speak', secrets: ['fault_canary'] }, async () => {
  const token = process.env.FAULT_TOKEN!
  console.log('console.log says', token)
  process.stdout.write('stdout.write says ' + token + '\\n')
  process.stderr.write('stderr.write says ' + token + '\\n')
  // One value in two writes: masking cannot go write by write.
  process.stdout.write('split write says ' + token.slice(0, 9))
  process.stdout.write(token.slice(9) + ' and ends\\n')
  process.stdout.write(Buffer.from('buffer write says ' + token + '\\n'))
  process.stderr.write(new TextEncoder().encode('bytes write says ' + token + '\\n'), () => {})
  console.error('console.error says %s', token)
  if (process.env.FD_WRITES) {
    // Below Node's streams: the file descriptors themselves.
    writeSync(1, 'fd 1 says ' + token + '\\n')
    writeSync(2, Buffer.from('fd 2 says ' + token + '\\n'))
  }
  if (process.env.FD_WRITES === 'child') {
    // A program the step runs on its descriptors.
    spawnSync('sh', ['-c', 'echo "child says $FAULT_TOKEN"; echo "child err says $FAULT_TOKEN" >&2'], { stdio: 'inherit' })
  }
  return 'spoken'
})
export const speaking = pipeline({ name: 'speaking', cache: false }, () => {
  speak()
})
`

const MASKED = [
  'console.log says ********',
  'stdout.write says ********',
  'stderr.write says ********',
  'split write says ******** and ends',
  'buffer write says ********',
  'bytes write says ********',
  'console.error says ********',
]
/** What a step writes to its file descriptors with fs.writeSync, beside Node's streams. */
const MASKED_FDS = ['fd 1 says ********', 'fd 2 says ********']
/** What a program a step process runs writes: its stdout and stderr are pipes to the run. */
const MASKED_CHILD = ['child says ********', 'child err says ********']

let sandbox: Sandbox
const outputs: Result[] = []

beforeAll(async () => {
  sandbox = createSandbox()
  link(join(repo, 'packages/sdk'), join(sandbox.project, 'node_modules/@strata/sdk'))
  writeFileSync(join(sandbox.project, 'pipelines.ts'), PIPELINES)
  writeFileSync(
    join(sandbox.project, 'process.yaml'),
    'settings: { orchestrator.local: { isolation: process } }\n',
  )
  await ok(sandbox, ['secret', 'create', 'fault_canary', `--token=${CANARY}`])
}, 60_000)
afterAll(() => sandbox?.cleanup())

async function strata(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Result> {
  const result = await sandbox.strata(args, { env: { FAULT_TOKEN: CANARY, ...env } })
  outputs.push(result)
  return result
}

function runName(output: string): string {
  const match = /^run (\S+): \d+ steps? on stack/m.exec(output)
  if (!match?.[1]) throw new Error(`no run name in: ${output}`)
  return match[1]
}

/** The files of the sandbox's config directory (the store, its WAL, the local artifact stores) holding `text`. */
function filesHolding(text: string): string[] {
  return readdirSync(sandbox.configDir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((path) => readFileSync(path).includes(text))
}

async function survived(fault: string, held: boolean): Promise<void> {
  const problems = await afterFault(sandbox, { outputs, canaries: [CANARY] })
  report.tried(fault, held && problems.length === 0)
  expect(problems).toEqual([])
  expect(held).toBe(true)
}

describe('a secret a step prints', () => {
  it.each([
    ['in-process', [] as string[], [...MASKED, ...MASKED_FDS]],
    // In-process, a program the step runs shares the CLI's file descriptors: only a step process has its
    // own (pipes), so only there is a child's output masked.
    ['a process per step', ['--config', 'process.yaml'], [...MASKED, ...MASKED_FDS, ...MASKED_CHILD]],
  ])(
    '%s: masked on the CLI, in the step log, nowhere in clear on disk',
    async (isolation, extra, masked) => {
      const ran = await strata(['pipeline', 'run', 'pipelines.ts', '--name', 'speaking', ...extra], {
        FD_WRITES: extra.length > 0 ? 'child' : 'fd',
      })
      expect(ran.code, ran.stdout + ran.stderr).toBe(0)
      const shown = ran.stdout + ran.stderr
      for (const line of masked) expect(shown).toContain(line)

      const logs = await strata(['pipeline', 'runs', 'logs', runName(ran.stdout)])
      expect(logs.code, logs.stderr).toBe(0)
      for (const line of masked) expect(logs.stdout).toContain(line)

      const inClear = filesHolding(CANARY)
      expect(inClear).toEqual([])
      const held = masked.every((line) => shown.includes(line) && logs.stdout.includes(line))
      await survived(`${isolation}: a secret printed on ${masked.length} paths out of a step`, held)
      report.tried(`${isolation}: a secret in clear in the store or artifact files`, inClear.length === 0)
    },
    120_000,
  )
})

describe('a secrets key that cannot decrypt the stored secrets', () => {
  const wrongKey = randomBytes(32).toString('base64')

  it('secret create is refused with the code and the fix; the store keeps one key', async () => {
    const before = sandbox.dump().secrets
    const refused = await strata(['secret', 'create', 'second', '--key=value'], {
      STRATA_SECRETS_KEY: wrongKey,
    })
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain(
      "cannot create secret 'second': the secrets key in use (STRATA_SECRETS_KEY, else secrets.key in the config directory) cannot decrypt the stored secret 'fault_canary'",
    )
    expect(refused.stderr).toContain('restore secrets.key, or set STRATA_SECRETS_KEY to it')
    expect(refused.stderr).not.toContain('bug in Strata')
    expect(sandbox.dump().secrets).toEqual(before)
    // The right key still reads what is stored.
    const revealed = await sandbox.strata(['secret', 'get', 'fault_canary', '--reveal'])
    expect(revealed.stdout).toContain(CANARY)
    await survived('secret create with a mismatching secrets key', refused.code === 1)
  }, 60_000)

  it('a run that needs the secrets is refused before it starts, naming the key, and no value', async () => {
    const failed = await strata(['pipeline', 'run', 'pipelines.ts', '--name', 'speaking'], {
      STRATA_SECRETS_KEY: wrongKey,
    })
    expect(failed.code).toBe(1)
    expect(failed.stderr).toContain(
      "cannot decrypt secret 'fault_canary': the secrets key is not the one it was saved with — restore the original secrets.key (or STRATA_SECRETS_KEY)",
    )
    // Refused before a run is recorded: nothing is left running.
    expect(failed.stdout).toBe('')
    expect(failed.stderr).not.toContain('bug in Strata')
    await survived('a run with a mismatching secrets key', failed.code === 1)
  }, 60_000)
})
