import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSandbox, ok, type Result, registerDemoStack, type Sandbox, storeBytes } from './helpers.js'

const CANARY = 'CANARY-5e1f0c2b-never-print-me'
let sandbox: Sandbox
const outputs: Array<{ args: string[]; result: Result }> = []

async function run(
  args: string[],
  options: { input?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Result> {
  const result = await sandbox.strata(args, options)
  outputs.push({ args, result })
  return result
}

beforeAll(async () => {
  sandbox = createSandbox()
  await registerDemoStack(sandbox, CANARY)
  writeFileSync(join(sandbox.project, 'canary.txt'), `${CANARY}\n`)
  writeFileSync(join(sandbox.project, 'values.json'), JSON.stringify({ api_key: CANARY }))
}, 120_000)
afterAll(() => sandbox.cleanup())

describe('a canary secret value', () => {
  it('never appears in any output, error, debug log or export, nor in clear in the database or its WAL', async () => {
    const debug = { STRATA_DEBUG: '1' }
    const succeed = [
      ['secret', 'create', 'canary', `--value=${CANARY}`],
      ['secret', 'create', 'from_file', '--value=@canary.txt'],
      ['secret', 'create', 'from_values', '--values=@values.json'],
      ['secret', 'create', 'inline_values', `--values={"api_key": "${CANARY}"}`],
      ['secret', 'update', 'canary', `--other=${CANARY}`],
      ['secret', 'get', 'canary'],
      ['secret', 'get', 'canary', '--output', 'json'],
      ['secret', 'get', 'canary', '--output', 'yaml'],
      ['secret', 'list'],
      ['secret', 'list', '--output', 'json'],
      ['artifact-store', 'register', 'ref-store', '--flavor', 'demo', '--token={{needed.token}}'],
      ['stack', 'register', 'needs-secret', '-o', 'inline', '-a', 'ref-store'],
      ['stack', 'describe', 'demo', '--output', 'json'],
      ['stack', 'list', '--output', 'yaml'],
      ['artifact-store', 'describe', 'demo-store'],
      ['artifact-store', 'list', '--output', 'json'],
      ['stack', 'validate', 'demo'],
      ['stack', 'export', 'demo', 'exported.yaml'],
      ['stack', 'export', 'demo', '-'],
      ['status'],
    ]
    for (const args of succeed) {
      const result = await run(args, { env: debug })
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0)
    }
    // register-secrets reads the value from stdin.
    const registered = await run(['stack', 'register-secrets', 'needs-secret'], {
      input: `${CANARY}\n`,
      env: debug,
    })
    expect(registered.code, registered.stderr).toBe(0)
    expect(registered.stderr).toContain("Saved secret 'needed' (token)")
    await ok(sandbox, ['stack', 'validate', 'needs-secret'])

    // The lifecycle of a stack whose component holds a secret reference, and of the secret itself.
    const lifecycle = [
      ['stack', 'copy', 'needs-secret', 'copied'],
      ['stack', 'rename', 'copied', 'renamed'],
      ['stack', 'update', 'renamed', '-a', 'ref-store'],
      ['stack', 'describe', 'renamed'],
      ['artifact-store', 'rename', 'ref-store', 'ref-store-2'],
      ['artifact-store', 'describe', 'ref-store-2', '--output', 'yaml'],
      ['stack', 'export', 'renamed', 'renamed.yaml'],
      ['stack', 'delete', 'renamed'],
      ['stack', 'import', 'renamed.yaml'],
      ['stack', 'import', 'renamed.yaml'],
      ['secret', 'create', 'doomed', `--value=${CANARY}`],
      ['secret', 'delete', 'doomed', '--yes'],
    ]
    for (const args of lifecycle) {
      const result = await run(args, { env: debug })
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0)
    }
    // A stacks file with the value itself where a reference belongs is refused, without echoing it.
    writeFileSync(
      join(sandbox.project, 'leaky.yaml'),
      readFileSync(join(sandbox.project, 'renamed.yaml'), 'utf8').replace('{{needed.token}}', CANARY),
    )
    expect(readFileSync(join(sandbox.project, 'leaky.yaml'), 'utf8')).toContain(CANARY)
    const leaky = await run(['stack', 'import', 'leaky', '-f', 'leaky.yaml'], { env: debug })
    expect(leaky.code, leaky.stderr).not.toBe(0)
    expect(leaky.stderr).toContain("'token' is a secret field")

    const fail = [
      ['secret', 'create', 'canary', `--value=${CANARY}`],
      ['secret', 'create', 'bad.name', `--value=${CANARY}`],
      ['secret', 'create', 'bad_key', `--bad key=${CANARY}`],
      ['secret', 'update', 'missing', `--value=${CANARY}`],
      ['secret', 'create', 'broken_values', `--values={"unclosed": "${CANARY}"`],
      ['artifact-store', 'register', 'leak', '--flavor', 'demo', `--token=${CANARY}`],
      ['artifact-store', 'register', 'leak', '--flavor', 'demo', '--token=@canary.txt'],
      ['artifact-store', 'register', 'leak', '--flavor', 'demo', `--token=${CANARY}`, '--bogus=1'],
      ['artifact-store', 'register', 'leak', '--flavor', 'nope', `--token=${CANARY}`],
      ['artifact-store', 'update', 'demo-store', `--token=${CANARY}`],
      [
        'stack',
        'register',
        CANARY.toLowerCase().replaceAll('-', '.') + '!',
        '-o',
        'inline',
        '-a',
        'demo-store',
      ],
    ]
    for (const args of fail) {
      const result = await run(args, { env: debug })
      expect(result.code, args.join(' ')).not.toBe(0)
    }

    for (const { args, result } of outputs) {
      expect(result.stdout, `stdout of strata ${args.join(' ')}`).not.toContain(CANARY)
      expect(result.stderr, `stderr of strata ${args.join(' ')}`).not.toContain(CANARY)
    }
    expect(readFileSync(join(sandbox.project, 'exported.yaml'), 'utf8')).not.toContain(CANARY)
    expect(readFileSync(join(sandbox.project, 'renamed.yaml'), 'utf8')).not.toContain(CANARY)
    expect(storeBytes(sandbox.configDir).includes(Buffer.from(CANARY))).toBe(false)
    expect(storeBytes(sandbox.configDir).includes(Buffer.from('CANARY-5e1f'))).toBe(false)
    for (const file of readdirSync(sandbox.configDir, { recursive: true, withFileTypes: true })) {
      if (file.isFile())
        expect(readFileSync(join(file.parentPath, file.name)).includes(Buffer.from(CANARY)), file.name).toBe(
          false,
        )
    }
  }, 120_000)

  it('is shown with --reveal, and only then', async () => {
    const revealed = await ok(sandbox, ['secret', 'get', 'canary', '--reveal'])
    expect(revealed.stdout).toContain(CANARY)
    const json = JSON.parse(
      (await ok(sandbox, ['secret', 'get', 'from_file', '--reveal', '--output', 'json'])).stdout,
    )
    expect(json.values).toEqual({ value: CANARY })
    const masked = JSON.parse((await ok(sandbox, ['secret', 'get', 'from_file', '--output', 'json'])).stdout)
    expect(masked.values).toEqual({ value: '********' })
  })
})
