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

  it("writes a flavor's createModule as create once its default export is the flavor's create, else fails", async () => {
    // A plugin whose one flavor names a create module: the demo store with its create moved out.
    await writeFile(
      join(plugin, 'create.js'),
      "import demo from './index.js'\nexport default demo.flavors[0].create\n",
    )
    await writeFile(join(plugin, 'other-create.js'), 'export default async () => ({})\n')
    const entry = (module: string) =>
      [
        "import demo from './index.js'",
        `export default { ...demo, flavors: [{ ...demo.flavors[0], createModule: '${module}' }] }`,
      ].join('\n')
    await writeFile(join(plugin, 'with-create.js'), entry('./create.js'))
    const written = await run(['--entry', './with-create.js'])
    expect(written.stderr).toBe('')
    const pkg = JSON.parse(await readFile(join(plugin, 'package.json'), 'utf8'))
    expect(pkg.strata.flavors[0]).toMatchObject({ entry: './with-create.js', create: './create.js' })

    await writeFile(join(plugin, 'with-create.js'), entry('./other-create.js'))
    const wrong = await run(['--entry', './with-create.js'])
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toContain(
      "the default export of artifact_store/demo's createModule ./other-create.js is not its create — export default the create the flavor declares",
    )
    await writeFile(join(plugin, 'with-create.js'), entry('./gone.js'))
    const missing = await run(['--entry', './with-create.js'])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(
      /cannot import artifact_store\/demo's createModule \.\/gone\.js .* — build it as an entry of its own/,
    )
  })
})
