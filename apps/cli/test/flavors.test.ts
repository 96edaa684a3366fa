import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createSandbox, installPackage, ok, type Sandbox } from './helpers.js'

let sandbox: Sandbox
beforeEach(() => {
  sandbox = createSandbox()
})
afterEach(() => sandbox.cleanup())

// The demo plugin throws when imported while this is set: listing and describing must not import it.
const forbid = { env: { STRATA_DEMO_PLUGIN_FORBID_IMPORT: '1' } }

describe('flavors', () => {
  it('lists and describes flavors without importing plugin code, with first-party ones not installed', async () => {
    const list = (await ok(sandbox, ['artifact-store', 'flavor', 'list'], forbid)).stdout
    expect(list).toMatch(/^FLAVOR\s+PACKAGE\s+RUNS\s+STATUS\s+DESCRIPTION$/m)
    expect(list).toMatch(
      /^demo\s+@fixture\/strata-demo@1\.2\.3\s+local\s+installed\s+Keeps artifacts in memory \(demo\)$/m,
    )
    expect(list).toMatch(/^local\s+@strata\/local@0\.1\.0\s+local\s+installed/m)
    expect(list).toMatch(/^s3\s+@strata\/s3\s+-\s+not installed — strata integration install s3\s/m)
    expect(list).toMatch(/^gcp\s+@strata\/gcs\s+-\s+not installed — strata integration install gcs\s/m)
    const trackers = (await ok(sandbox, ['experiment-tracker', 'flavor', 'list'], forbid)).stdout
    expect(trackers).toMatch(
      /^mlflow\s+@strata\/mlflow\s+-\s+not installed — strata integration install mlflow\s/m,
    )

    const described = await ok(
      sandbox,
      ['artifact-store', 'flavor', 'describe', 'demo', '--output', 'json'],
      forbid,
    )
    expect(JSON.parse(described.stdout).fields).toEqual([
      {
        name: 'namespace',
        type: 'string',
        required: false,
        default: 'default',
        description: 'Separates stores in one process',
        secret: false,
      },
      {
        name: 'token',
        type: 'string',
        required: false,
        description: 'An access token (unused; shows secret masking)',
        secret: true,
      },
    ])
    await ok(sandbox, ['stack', 'list'], forbid)
    await ok(sandbox, ['integration', 'list'], forbid)
  })

  it('pages and sorts flavor list like every other list, with the same JSON shape', async () => {
    const page = JSON.parse(
      (
        await ok(
          sandbox,
          [
            'artifact-store',
            'flavor',
            'list',
            '--output',
            'json',
            '--size',
            '2',
            '--page',
            '2',
            '--sort',
            '-name',
          ],
          forbid,
        )
      ).stdout,
    )
    expect(page.pagination).toEqual({ page: 2, size: 2, totalPages: 2, total: 4 })
    expect(page.items).toEqual([
      {
        type: 'artifact_store',
        name: 'gcp',
        package: '@strata/gcs',
        version: null,
        location: null,
        status: 'not installed — strata integration install gcs',
        description: 'Google Cloud Storage',
      },
      {
        type: 'artifact_store',
        name: 'demo',
        package: '@fixture/strata-demo',
        version: '1.2.3',
        location: 'local',
        status: 'installed',
        description: 'Keeps artifacts in memory (demo)',
      },
    ])
    const byPackage = JSON.parse(
      (await ok(sandbox, ['artifact-store', 'flavor', 'list', '--output=json', '--sort', 'package'])).stdout,
    )
    expect(byPackage.items.map((row: { package: string }) => row.package)).toEqual([
      '@fixture/strata-demo',
      '@strata/gcs',
      '@strata/local',
      '@strata/s3',
    ])
    const table = await ok(sandbox, [
      'artifact-store',
      'flavor',
      'list',
      '--size',
      '3',
      '--sort',
      'desc:name',
    ])
    expect(
      table.stdout
        .split('\n')
        .slice(1, -1)
        .map((line) => line.split(/\s+/)[0]),
    ).toEqual(['s3', 'local', 'gcp'])
    expect(table.stderr).toContain('Page 1 of 2 (4 artifact store flavors)')

    const integrations = JSON.parse(
      (await ok(sandbox, ['integration', 'list', '--output', 'json', '--sort', '-name', '--size', '3']))
        .stdout,
    )
    expect(integrations.items.map((row: { name: string }) => row.name)).toEqual(['s3', 'mlflow', 'local'])
    expect(integrations.pagination).toEqual({ page: 1, size: 3, totalPages: 2, total: 6 })
    expect(integrations.items[2]).toMatchObject({ package: '@strata/local', installed: '0.1.0' })
    const second = await ok(sandbox, ['integration', 'list', '--page', '2', '--size', '3'])
    expect(second.stdout).toMatch(/^INTEGRATION\s+PACKAGE\s+INSTALLED\s+FLAVORS\nlocal\s+@strata\/local\s/)
    expect(second.stderr).toContain('Page 2 of 2 (6 integrations)')
  })

  it('refuses a flavor whose manifest declares an interface version this Strata cannot host, naming which side to upgrade', async () => {
    // Manifest only, as discovery reads it: the refusal comes before any code would be imported.
    const plugin = (name: string, version: string, apiVersion: number) =>
      installPackage(
        sandbox,
        {
          name,
          version,
          type: 'module',
          strata: {
            flavors: [
              {
                type: 'artifact_store',
                name: name.split('-').at(-1),
                apiVersion,
                description: `Interface v${apiVersion}`,
                isRemote: true,
                entry: './index.js',
                schema: './schema.json',
              },
            ],
          },
        },
        { 'index.js': "throw new Error('imported')\n", 'schema.json': '{"type":"object","properties":{}}' },
      )
    plugin('@fixture/strata-future', '2.0.0', 2)
    plugin('@fixture/strata-past', '0.0.1', 0)
    const before = sandbox.dump()

    // The refusal is the error, said once (not a warning and then "unknown flavor ... install an
    // integration"); the other refused flavor is still warned about.
    const lines = (result: { stderr: string }) => result.stderr.trimEnd().split('\n')
    const newer = await sandbox.strata(['artifact-store', 'register', 'x', '--flavor', 'future'])
    expect(newer.code).toBe(1)
    expect(lines(newer).at(-1)).toBe(
      'Error: flavor artifact_store/future from @fixture/strata-future@2.0.0 implements the artifact_store interface v2, but this Strata supports v1 — upgrade Strata (@strata/cli and @strata/sdk), or install a @fixture/strata-future release built for artifact_store v1',
    )
    expect(lines(newer).slice(0, -1)).toEqual([
      expect.stringMatching(/^warning: flavor artifact_store\/past from @fixture\/strata-past@0\.0\.1 /),
    ])
    expect(newer.stderr).not.toContain('unknown')
    const older = await sandbox.strata(['artifact-store', 'register', 'x', '--flavor', 'past'])
    expect(older.code).toBe(1)
    expect(lines(older).at(-1)).toBe(
      'Error: flavor artifact_store/past from @fixture/strata-past@0.0.1 implements the artifact_store interface v0, but this Strata supports v1 — upgrade @fixture/strata-past to a release built for artifact_store v1',
    )
    expect(lines(older)).toHaveLength(2)
    const described = await sandbox.strata(['artifact-store', 'flavor', 'describe', 'future'])
    expect(described.code).toBe(1)
    expect(lines(described).at(-1)).toMatch(
      /^Error: flavor artifact_store\/future .* interface v2, .* — upgrade Strata/,
    )
    expect(lines(described)).toHaveLength(2)
    expect(sandbox.dump()).toEqual(before)

    // Commands that do not use them still work, and say why those flavors are missing.
    const list = await ok(sandbox, ['artifact-store', 'flavor', 'list'])
    expect(list.stdout).not.toMatch(/^(future|past)\s/m)
    expect(list.stderr).toContain('warning: flavor artifact_store/future from @fixture/strata-future@2.0.0')
    expect(list.stderr).toContain('warning: flavor artifact_store/past from @fixture/strata-past@0.0.1')
  })

  it('registers and deletes custom flavors from a module', async () => {
    const registered = await ok(sandbox, ['orchestrator', 'flavor', 'register', 'orchestrator.mjs'])
    expect(registered.stderr).toContain(
      `Registered custom orchestrator flavor 'inline' from ${join(sandbox.project, 'orchestrator.mjs')}.`,
    )
    expect((await ok(sandbox, ['orchestrator', 'flavor', 'list'])).stdout).toMatch(
      /^inline\s+.*orchestrator\.mjs\s+local\s+custom\s+Runs steps in this process \(test\)$/m,
    )
    // Registering again refreshes it; the store keeps one record.
    await ok(sandbox, ['orchestrator', 'flavor', 'register', 'orchestrator.mjs'])
    expect(sandbox.dump().flavors).toHaveLength(1)
    writeFileSync(join(sandbox.project, 'empty.mjs'), 'export const nothing = 1\n')
    const empty = await sandbox.strata(['orchestrator', 'flavor', 'register', 'empty.mjs'])
    expect(empty.stderr).toMatch(
      /^Error: .*empty\.mjs exports no orchestrator flavor — export default definePlugin/,
    )
    await ok(sandbox, ['orchestrator', 'flavor', 'delete', 'inline'])
    expect(sandbox.dump().flavors).toHaveLength(0)
  })
})

describe('integrations', () => {
  it("lists them, and prints the project's package manager command with --dry-run", async () => {
    const list = (await ok(sandbox, ['integration', 'list'])).stdout
    expect(list).toMatch(/^local\s+@strata\/local\s+0\.1\.0\s+orchestrator\/local, artifact_store\/local$/m)
    expect(list).toMatch(/^s3\s+@strata\/s3\s+no — strata integration install s3\s+artifact_store\/s3$/m)
    const dryRun = async (lockfile: string | undefined, expected: string) => {
      const { rmSync } = await import('node:fs')
      for (const file of ['pnpm-lock.yaml', 'package-lock.json', 'yarn.lock', 'bun.lock'])
        rmSync(join(sandbox.project, file), { force: true })
      if (lockfile) writeFileSync(join(sandbox.project, lockfile), '')
      expect((await ok(sandbox, ['integration', 'install', 's3', 'mlflow', '--dry-run'])).stdout).toBe(
        `${expected}\n`,
      )
    }
    // Pinned to the releases this CLI works with, so the package manager cannot pull one it would refuse.
    await dryRun('pnpm-lock.yaml', 'pnpm add @strata/s3@0.0.x @strata/mlflow@0.0.x')
    await dryRun('package-lock.json', 'npm install @strata/s3@0.0.x @strata/mlflow@0.0.x')
    await dryRun('yarn.lock', 'yarn add @strata/s3@0.0.x @strata/mlflow@0.0.x')
    await dryRun('bun.lock', 'bun add @strata/s3@0.0.x @strata/mlflow@0.0.x')
    expect((await ok(sandbox, ['integration', 'uninstall', 'gcs', '--dry-run'])).stdout).toBe(
      'bun remove @strata/gcs\n',
    )
  })
})

describe('integration install ranges', () => {
  it("pins each first-party integration to a range holding this workspace's release of it", async () => {
    const { readdirSync, readFileSync } = await import('node:fs')
    const { INTEGRATION_RANGES } = await import('../src/commands/integration-ranges.js')
    const { INTEGRATIONS } = await import('@strata/sdk/internal')
    const plugins = join(import.meta.dirname, '../../../plugins')
    const versions = new Map(
      readdirSync(plugins).map((directory) => {
        const manifest = JSON.parse(readFileSync(join(plugins, directory, 'package.json'), 'utf8'))
        return [manifest.name as string, manifest.version as string]
      }),
    )
    // The hand-over's rule: in 0.x the line is major.minor, from 1.0 the major.
    const line = (version: string) => {
      const [major, minor] = version.split('.')
      return major === '0' ? `0.${minor}.x` : `${major}.x`
    }
    const installable = INTEGRATIONS.filter((integration) => !integration.builtin)
    expect(installable.length).toBeGreaterThan(0)
    for (const integration of installable) {
      const version = versions.get(integration.package)
      expect(version, `${integration.package} is not in plugins/`).toBeDefined()
      expect(INTEGRATION_RANGES[integration.package], integration.package).toBe(line(version!))
    }
    expect(Object.keys(INTEGRATION_RANGES).sort()).toEqual(installable.map((item) => item.package).sort())
  })
})

describe('help', () => {
  it('prints ZenML-style help for strata, a group and a command', async () => {
    const main = (await ok(sandbox, ['--help'])).stdout
    expect(main).toContain('Usage: strata COMMAND [ARGS]...')
    expect(main).toMatch(/Stack Components:\n\s+orchestrator\s+/)
    expect(main).toMatch(/\n\s+artifact-store\s+Artifact stores keep step outputs/)
    const group = (await ok(sandbox, ['secret'])).stdout
    expect(group).toMatch(/Commands:\n\s+create\s+Create a secret/)
    const command = (await ok(sandbox, ['stack', 'register', '--help'])).stdout
    expect(command).toContain('Usage: strata stack register NAME [OPTIONS]')
    expect(command).toMatch(/-o, --orchestrator NAME\s+The orchestrator/)
    expect(command).toMatch(/-e, --experiment-tracker NAME/)
    expect(command).toMatch(/-al, --alerter NAME/)
    expect((await ok(sandbox, ['--version'])).stdout).toBe('0.1.0\n')
    const stores = (await ok(sandbox, ['artifact-store'])).stdout
    expect(stores).toMatch(/describe\s+Show an artifact store's flavor and configuration/)
    expect(stores).toMatch(/delete\s+Delete an artifact store \(refused while a stack uses it\)/)
    expect((await ok(sandbox, ['step-operator'])).stdout).toMatch(/rename\s+Rename a step operator$/m)
    expect((await ok(sandbox, ['orchestrator', 'flavor'])).stdout).toMatch(
      /describe\s+Show an orchestrator flavor's configuration fields/,
    )
    for (const group of ['orchestrator', 'artifact-store', 'experiment-tracker', 'image-builder', 'alerter'])
      expect((await ok(sandbox, [group])).stdout).not.toMatch(/\ba [aeiou]/)
  })
})
