import { execFile } from 'node:child_process'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { type AnyFlavor, FlavorRegistry, parseFlavorConfig, silentLogger } from '@strata/core'
import { afterAll, expect, it } from 'vitest'
import { artifactStoreConformance } from './artifact-store-suite.js'

// The "write your own flavor" example in docs/architecture.md, extracted and run as written.
const docs = resolve(import.meta.dirname, '../../../docs/architecture.md')
const markdown = await readFile(docs, 'utf8')
const block = /```ts title="memory-store\.ts"\n([\s\S]*?)```/.exec(markdown)?.[1]
if (!block) throw new Error('docs/architecture.md lost its memory-store.ts example')
const directory = join(import.meta.dirname, '.docs-example')
await mkdir(directory, { recursive: true })
await writeFile(join(directory, 'memory-store.ts'), block)
const modulePath = join(directory, 'memory-store.ts')
const example = (await import(modulePath)) as {
  default: { name: string; flavors: AnyFlavor[] }
  memoryStore: AnyFlavor
}

afterAll(() => rm(directory, { recursive: true, force: true }))

it('stays within 40 lines', () => {
  expect(block.trimEnd().split('\n').length).toBeLessThanOrEqual(40)
})

it('type-checks under the workspace settings', async () => {
  const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin/tsc')
  await writeFile(
    join(directory, 'tsconfig.json'),
    JSON.stringify({ extends: '../../../../tsconfig.base.json', include: ['memory-store.ts'] }),
  )
  const result = await promisify(execFile)(process.execPath, [
    tsc,
    '-p',
    join(directory, 'tsconfig.json'),
  ]).catch((error: { stdout: string }) => ({ stdout: error.stdout }))
  expect(result.stdout).toBe('')
}, 60_000)

it('registers as a plugin and validates its config', () => {
  const registry = new FlavorRegistry()
  registry.registerPlugin(example.default, { version: '0.0.0', kind: 'inline' })
  const entry = registry.get('artifact_store', 'memory')
  expect(entry.configSchema.properties?.name).toMatchObject({ type: 'string', default: 'default' })
  expect(() => parseFlavorConfig(example.memoryStore, { name: 3 })).toThrow(
    "artifact_store/memory config: 'name'",
  )
})

artifactStoreConformance({
  name: 'docs example (memory)',
  largeSize: 16 * 1024 * 1024,
  create: async () => {
    const store = await example.memoryStore.create(
      { name: 'docs' },
      { componentName: 'memory', componentId: 'm', dataDir: '', logger: silentLogger },
    )
    if (!('read' in store)) throw new Error('not an artifact store')
    return store
  },
})
