// The `strata-flavor-schemas` bin on a copy of the third-party fixture plugin (plain ESM, exports "."
// = ./index.js, schemas in ./schemas). The bin runs core's built code: `pnpm build` first.
import { execFile } from 'node:child_process'
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

const bin = resolve(import.meta.dirname, '../bin/strata-flavor-schemas.mjs')
const fixture = resolve(import.meta.dirname, '../../../fixtures/demo-plugin')

let plugin: string
let committed: string

async function run(args: string[], env: Record<string, string | undefined> = {}) {
  return promisify(execFile)(process.execPath, [bin, ...args], {
    cwd: plugin,
    env: { ...process.env, CI: undefined, ...env },
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  )
}

async function editPackage(edit: (pkg: Record<string, unknown>) => void): Promise<void> {
  const pkg = JSON.parse(committed) as Record<string, unknown>
  edit(pkg)
  await writeFile(join(plugin, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`)
}

beforeEach(async () => {
  plugin = await mkdtemp(join(tmpdir(), 'strata-flavor-schemas-'))
  for (const file of ['package.json', 'index.js']) await cp(join(fixture, file), join(plugin, file))
  await symlink(join(fixture, 'node_modules'), join(plugin, 'node_modules'))
  committed = await readFile(join(plugin, 'package.json'), 'utf8')
})
afterEach(() => rm(plugin, { recursive: true, force: true }))

describe('strata-flavor-schemas', () => {
  it('finds the committed manifest up to date and writes the schema files', async () => {
    const result = await run(['--check'])
    expect(result.stderr).toBe('')
    expect(result.stdout).toContain('@fixture/strata-demo: manifest up to date')
    expect(await readFile(join(plugin, 'schemas/artifact_store.demo.json'), 'utf8')).toBe(
      await readFile(join(fixture, 'schemas/artifact_store.demo.json'), 'utf8'),
    )
  })

  it('fails a check when the manifest says something the code does not, and leaves package.json', async () => {
    await editPackage((pkg) => {
      const [flavor] = (pkg.strata as { flavors: Array<Record<string, unknown>> }).flavors
      flavor!.description = 'stale'
    })
    const stale = await readFile(join(plugin, 'package.json'), 'utf8')
    for (const result of [await run(['--check']), await run([], { CI: 'true' })]) {
      expect(result.code).toBe(1)
      expect(result.stderr).toContain(
        `@fixture/strata-demo: the "strata" manifest in package.json differs from the code — run 'strata-flavor-schemas --write'`,
      )
      expect(result.stderr).toContain('"description": "Keeps artifacts in memory (demo)"')
    }
    expect(await readFile(join(plugin, 'package.json'), 'utf8')).toBe(stale)
  })

  it('writes the manifest from the code, also where there was none', async () => {
    await editPackage((pkg) => {
      delete pkg.strata
    })
    const result = await run([])
    expect(result.stdout).toContain('wrote the manifest')
    expect(await readFile(join(plugin, 'package.json'), 'utf8')).toBe(committed)
    expect((await run(['--check'])).code).toBe(0)
  })

  it('says how to fix an entry that cannot be imported', async () => {
    const result = await run(['--entry', './missing.js'])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(
      /cannot import @fixture\/strata-demo's entry \.\/missing\.js .* — build it first/,
    )
  })
})
