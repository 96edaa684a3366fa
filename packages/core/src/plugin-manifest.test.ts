import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { diskStore, fixturePlugin } from './fixtures.test-helpers.js'
import { pluginEntryOf, pluginManifest, withPluginManifest } from './plugin-manifest.js'

describe('pluginManifest', () => {
  it('derives every field from the code, in the plugin order, with schemas beside the entry', () => {
    const manifest = pluginManifest(fixturePlugin, './dist/index.js')
    expect(manifest.flavors.map((flavor) => `${flavor.type}/${flavor.name}`)).toEqual(
      fixturePlugin.flavors.map((flavor) => `${flavor.type}/${flavor.name}`),
    )
    expect(manifest.flavors[0]).toEqual({
      type: 'artifact_store',
      name: 'bucket',
      apiVersion: 1,
      description: 'A fixture remote store',
      isRemote: true,
      entry: './dist/index.js',
      schema: './dist/schemas/artifact_store.bucket.json',
    })
    // Key order is the manifest's committed order: a check compares JSON text.
    expect(Object.keys(manifest.flavors[0]!)).toEqual([
      'type',
      'name',
      'apiVersion',
      'description',
      'isRemote',
      'entry',
      'schema',
    ])
  })

  it('adds a settings schema for flavors with settings, and no isLocal/isRemote when false', () => {
    const flavor = { ...diskStore, isLocal: false, settings: z.object({ cpu: z.number() }) }
    const [entry] = pluginManifest({ name: 'p', flavors: [flavor] }, './index.js').flavors
    expect(entry).not.toHaveProperty('isLocal')
    expect(entry).not.toHaveProperty('isRemote')
    expect(entry?.schema).toBe('./schemas/artifact_store.disk.json')
    expect(entry?.settingsSchema).toBe('./schemas/artifact_store.disk.settings.json')
    expect(entry).not.toHaveProperty('create')
  })

  it("lists a flavor's createModule as create, beside the entry", () => {
    const flavor = { ...diskStore, createModule: './disk-create.js' }
    const [built] = pluginManifest({ name: 'p', flavors: [flavor] }, './dist/index.js').flavors
    expect(built?.create).toBe('./dist/disk-create.js')
    const [flat] = pluginManifest({ name: 'p', flavors: [flavor] }, 'index.js').flavors
    expect(flat?.create).toBe('./disk-create.js')
  })
})

describe('pluginEntryOf', () => {
  it("reads the main export's import target, then main, then index.js", () => {
    const conditions = { source: './src/index.ts', types: './dist/index.d.ts', import: './dist/index.js' }
    expect(pluginEntryOf({ exports: { '.': conditions, './package.json': './package.json' } })).toBe(
      './dist/index.js',
    )
    expect(pluginEntryOf({ exports: { '.': './index.js' } })).toBe('./index.js')
    expect(pluginEntryOf({ exports: { import: './esm/main.js', require: './cjs/main.cjs' } })).toBe(
      './esm/main.js',
    )
    expect(pluginEntryOf({ exports: 'lib/plugin.js' })).toBe('./lib/plugin.js')
    expect(pluginEntryOf({ main: 'main.js' })).toBe('./main.js')
    expect(pluginEntryOf({})).toBe('./index.js')
  })
})

describe('withPluginManifest', () => {
  const manifest = pluginManifest(fixturePlugin, './index.js')

  it('replaces the manifest in place and keeps the field order and other keys', () => {
    const pkg = { name: 'p', files: ['dist'], strata: { flavors: [], note: 'kept' }, scripts: {} }
    const result = withPluginManifest(pkg, manifest)
    expect(Object.keys(result)).toEqual(['name', 'files', 'strata', 'scripts'])
    expect(result.strata).toEqual({ flavors: manifest.flavors, note: 'kept' })
  })

  it('adds a missing manifest after what the package ships (main, exports, files), or first', () => {
    const keys = (pkg: Record<string, unknown>): string[] => Object.keys(withPluginManifest(pkg, manifest))
    expect(keys({ name: 'p', exports: {}, files: [], scripts: {} })).toEqual([
      'name',
      'exports',
      'files',
      'strata',
      'scripts',
    ])
    expect(keys({ name: 'p', files: [], exports: {}, scripts: {} })).toEqual([
      'name',
      'files',
      'exports',
      'strata',
      'scripts',
    ])
    expect(keys({ scripts: {} })).toEqual(['strata', 'scripts'])
  })
})
