import { join, resolve } from 'node:path'
import { describeJsonSchemaFields, parseFlavorConfig } from '@strata/core'
import { afterEach, describe, expect, it } from 'vitest'
import { discoverFlavors } from './discover-flavors.js'
import { parsePluginManifest } from './plugin-manifest.js'

const fixtures = resolve(import.meta.dirname, '../../../../fixtures')
const project = join(fixtures, 'demo-project')

afterEach(() => {
  delete process.env.STRATA_DEMO_PLUGIN_FORBID_IMPORT
})

describe('discoverFlavors', () => {
  it("lists and describes a project's plugin without importing its code", () => {
    // The fixture's module throws on import while this is set.
    process.env.STRATA_DEMO_PLUGIN_FORBID_IMPORT = '1'
    const { registry, warnings } = discoverFlavors({ projectRoot: project })
    expect(warnings).toEqual([])
    const demo = registry.get('artifact_store', 'demo')
    expect(demo).toMatchObject({
      description: 'Keeps artifacts in memory (demo)',
      isLocal: true,
      source: { package: '@fixture/strata-demo', version: '1.2.3', kind: 'dependency' },
    })
    expect(describeJsonSchemaFields(demo.configSchema)).toEqual([
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
    // The built-in local flavor is found next to the SDK.
    expect(registry.get('artifact_store', 'local').source).toMatchObject({
      package: '@strata/local',
      kind: 'builtin',
    })
  })

  it('imports the plugin when a flavor is created, and the flavor works', async () => {
    const { registry } = discoverFlavors({ projectRoot: project })
    const flavor = await registry.load('artifact_store', 'demo')
    expect(flavor.type).toBe('artifact_store')
    const config = parseFlavorConfig(flavor, { namespace: 'n1', token: '{{demo.token}}' })
    const store = await flavor.create(config as never, {
      componentName: 'demo',
      componentId: 'c1',
      dataDir: '/nonexistent',
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    })
    if (store.apiVersion !== 1 || !('write' in store)) throw new Error('not an artifact store')
    await store.write('a/b', 'hello')
    expect(await store.stat('a/b')).toEqual({ size: 5 })
    expect(store.uri).toBe('memory://n1')
  })

  it('reports an import failure as PLUGIN_LOAD_FAILED naming the flavor and package', async () => {
    process.env.STRATA_DEMO_PLUGIN_FORBID_IMPORT = '1'
    // A fresh module URL, so the earlier successful import is not reused.
    const { registry } = discoverFlavors({ projectRoot: project })
    const entry = registry.get('artifact_store', 'demo')
    const broken = { ...entry, load: () => import(`${join(fixtures, 'demo-plugin/index.js')}?again`) }
    await expect(broken.load()).rejects.toThrow('was imported while listing or describing flavors')
    await expect(
      (await import('./discover-flavors.js')).importFlavor(
        `file://${join(fixtures, 'demo-plugin/index.js')}?forbidden`,
        'artifact_store',
        'demo',
        entry.source,
      ),
    ).rejects.toThrow(
      /could not load flavor artifact_store\/demo from @fixture\/strata-demo@1\.2\.3 .* — reinstall the package or rebuild it/,
    )
  })

  it('does not see plugins the project does not declare', () => {
    const { registry } = discoverFlavors({ projectRoot: join(fixtures, 'demo-plugin') })
    expect(registry.find('artifact_store', 'demo')).toBeUndefined()
  })

  it('reports broken manifests and custom flavors that moved as warnings, not crashes', () => {
    const { registry, warnings } = discoverFlavors({
      customFlavors: [
        {
          type: 'alerter',
          name: 'pager',
          apiVersion: 7,
          description: 'x',
          isLocal: false,
          isRemote: true,
          module: '/nowhere/pager.js',
          configSchema: {},
        },
      ],
    })
    expect(registry.find('alerter', 'pager')).toBeUndefined()
    expect(warnings).toEqual([
      'flavor alerter/pager from /nowhere/pager.js@custom implements the alerter interface v7, but this Strata supports v1 — upgrade Strata (@strata/cli and @strata/sdk), or install a /nowhere/pager.js release built for alerter v1',
    ])
  })
})

describe('parsePluginManifest', () => {
  const flavor = {
    type: 'artifact_store',
    name: 'demo',
    apiVersion: 1,
    description: 'A demo',
    isLocal: true,
    entry: './dist/index.js',
    schema: './dist/schemas/artifact_store.demo.json',
  }

  it('accepts a manifest as the plugin build writes it', () => {
    const manifest = { flavors: [flavor, { ...flavor, name: 'other', settingsSchema: './s.json' }] }
    expect(parsePluginManifest({ name: 'demo', strata: manifest }, '/x')).toEqual(manifest)
  })

  it('names the package and every wrong field, with how to fix it', () => {
    const broken = {
      name: '@acme/broken',
      strata: {
        flavors: [
          { ...flavor, type: 'bucket', name: 'Demo', apiVersion: 1.5, isLocal: 'yes', entry: undefined },
        ],
      },
    }
    expect(() => parsePluginManifest(broken, '/x')).toThrow(
      '@acme/broken has an invalid "strata" manifest in its package.json (flavors.0.type: expected one of "orchestrator"|',
    )
    const message = (() => {
      try {
        parsePluginManifest(broken, '/x')
      } catch (error) {
        return (error as Error).message
      }
    })()
    expect(message).toContain('flavors.0.name: must match /^[a-z0-9][a-z0-9_-]*$/')
    expect(message).toContain('flavors.0.apiVersion: expected an integer, received number')
    expect(message).toContain('flavors.0.isLocal: expected boolean, received string')
    expect(message).toContain('flavors.0.entry: expected string, received undefined')
    expect(message).toMatch(/ — fix it or reinstall the package$/)
    expect(() => parsePluginManifest({ strata: { flavors: [] } }, '/plugins/x')).toThrow(
      '/plugins/x has an invalid "strata" manifest in its package.json (flavors: expected at least one flavor)',
    )
    expect(() => parsePluginManifest({ name: 'p', strata: 'yes' }, '/x')).toThrow(
      '(root): expected object, received string',
    )
  })
})
