import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { FlavorCatalog } from '@strata/core/base'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { discoverFlavors } from '../discovery/discover-flavors.js'
import { openWorkspace, type StrataWorkspace } from './stack-state.js'
import { discoverWorkspaceFlavors } from './workspace-flavors.js'

const demoPlugin = resolve(import.meta.dirname, '../../../../fixtures/demo-plugin')
let root: string
let workspace: StrataWorkspace

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'strata-sdk-workspace-flavors-'))
  writeFileSync(join(root, 'package.json'), '{"name":"p"}')
  workspace = openWorkspace({ cwd: root, configDir: join(root, 'config') })
})

afterEach(async () => {
  await workspace.close()
  rmSync(root, { recursive: true, force: true })
})

describe('discoverWorkspaceFlavors', () => {
  it('finds the plugins of strata.config: a folder by its manifest, a plugin object by its code', async () => {
    writeFileSync(
      join(root, 'strata.config.mjs'),
      [
        `import demo from ${JSON.stringify(pathToFileURL(join(demoPlugin, 'index.js')).href)}`,
        "const inline = { name: 'inline-plugin', flavors: [{ ...demo.flavors[0], name: 'inline' }] }",
        `export default { plugins: [inline, ${JSON.stringify(demoPlugin)}] }`,
      ].join('\n'),
    )
    const { registry, warnings } = await discoverWorkspaceFlavors(workspace)
    expect(warnings).toEqual([])
    expect(registry.get('artifact_store', 'inline')).toMatchObject({
      source: { package: 'inline-plugin', version: 'config', kind: 'config' },
      configSchema: { properties: { namespace: { type: 'string', default: 'default' } } },
    })
    expect(registry.get('artifact_store', 'demo').source).toEqual({
      package: '@fixture/strata-demo',
      version: '1.2.3',
      kind: 'config',
    })
    expect(registry.get('artifact_store', 'local').source.kind).toBe('builtin')
  })

  it('fills a zod-free catalog when strata.config names no plugin object', async () => {
    writeFileSync(join(root, 'strata.config.json'), JSON.stringify({ plugins: [demoPlugin] }))
    const { registry } = await discoverWorkspaceFlavors(workspace)
    expect(registry).toBeInstanceOf(FlavorCatalog)
    expect('registerPlugin' in registry).toBe(false)
    expect(registry.find('artifact_store', 'demo')?.source.kind).toBe('config')
  })

  it('refuses plugin objects without a registry that can take them', () => {
    expect(() => discoverFlavors({ configPlugins: [{ name: 'x', flavors: [] }], builtins: [] })).toThrow(
      'plugin objects in configPlugins need options.registry, a FlavorRegistry',
    )
  })
})
