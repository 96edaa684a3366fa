import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { explainCache } from '../client/explain-cache.js'
import type { Pipeline } from '../dsl/pipeline.js'
import { type TempEnvironment, tempEnvironment } from '../test-support/temp-environment.js'

// A small project on disk: the fingerprint follows real files. It lives inside the package so that
// `zod` and the SDK resolve as they would from a project's node_modules.
const project = resolve(import.meta.dirname, '../../.tmp', `cache-project-${process.pid}`)
const sdk = resolve(import.meta.dirname, '../index.js')

const files: Record<string, string> = {
  'package.json': JSON.stringify({
    name: 'cache-project',
    type: 'module',
    dependencies: { 'fake-dep': '1.0.0' },
  }),
  'node_modules/fake-dep/package.json': JSON.stringify({
    name: 'fake-dep',
    version: '1.0.0',
    type: 'module',
    main: 'index.js',
  }),
  'node_modules/fake-dep/index.js': 'export const offset = 0\n',
  'lib/deep.ts': 'export const base = 1\n',
  'lib/math.ts': "import { base } from './deep.js'\nexport const scale = (x: number) => x * base\n",
  'lib/index.ts': "export * from './math.js'\n",
  'config.json': '{ "factor": 2 }\n',
  'steps/prepare.ts': `import { z } from 'zod'\nimport { step } from ${JSON.stringify(sdk)}\nexport const prepare = step({ name: 'prepare', params: z.object({ n: z.number().default(3) }) }, async (_i, ctx) => Array.from({ length: ctx.params.n }, (_, i) => i))\n`,
  'steps/train.ts': `import { input, step } from ${JSON.stringify(sdk)}\nimport { offset } from 'fake-dep'\nimport { scale } from '../lib/index.js'\nimport config from '../config.json' with { type: 'json' }\nexport const train = step({ name: 'train', inputs: { data: input<number[]>() } }, async ({ data }) => data.map((x) => scale(x) * config.factor + offset).reduce((a, b) => a + b, 0) * 0 + data.length)\n`,
  'steps/report.ts': `import { input, step } from ${JSON.stringify(sdk)}\nexport const report = step({ name: 'report', inputs: { model: input<number>() } }, async ({ model }) => ({ model }))\n`,
  'pipeline.ts': `import { z } from 'zod'\nimport { pipeline } from ${JSON.stringify(sdk)}\nimport { prepare } from './steps/prepare.js'\nimport { train } from './steps/train.js'\nimport { report } from './steps/report.js'\nexport const cached = pipeline({ name: 'cached', params: z.object({ n: z.number().default(3) }) }, ({ n }) => { report({ model: train({ data: prepare({ params: { n } }) }) }) })\n`,
}

async function put(path: string, content: string): Promise<void> {
  await mkdir(dirname(join(project, path)), { recursive: true })
  await writeFile(join(project, path), content)
}

async function edit(path: string, change: (content: string) => string): Promise<void> {
  await put(path, change(await readFile(join(project, path), 'utf8')))
}

let environment: TempEnvironment
let cached: Pipeline
beforeAll(async () => {
  for (const [path, content] of Object.entries(files)) await put(path, content)
  ;({ cached } = (await import(join(project, 'pipeline.ts'))) as { cached: Pipeline })
  environment = await tempEnvironment(project)
})
afterAll(async () => {
  await environment?.dispose()
  await rm(project, { recursive: true, force: true })
})

async function states(params: Record<string, unknown> = {}): Promise<Record<string, string>> {
  const run = await cached.run({ environment, params, output: false })
  expect(run.error).toBeUndefined()
  return { ...run.steps, run: run.name }
}

async function explain(run: string, step: string): Promise<string[]> {
  return (await explainCache(environment.repositories, run, step)).reasons
}

describe('the cache key follows code, packages, parameters and input digests', () => {
  it('runs once, then everything is cached', async () => {
    expect(await states()).toMatchObject({ prepare: 'completed', train: 'completed', report: 'completed' })
    expect(await states()).toMatchObject({ prepare: 'cached', train: 'cached', report: 'cached' })
  })

  it('re-runs train when a helper two imports below it changes; its unchanged output keeps report cached', async () => {
    await edit('lib/deep.ts', (content) => `${content}// changed\n`)
    const result = await states()
    expect(result).toMatchObject({ prepare: 'cached', train: 'completed', report: 'cached' })
    expect(await explain(result.run!, 'train')).toEqual(['code: lib/deep.ts changed'])
  })

  it('re-runs train when a re-export through an index file changes', async () => {
    await edit('lib/index.ts', (content) => `${content}export const unused = 1\n`)
    const result = await states()
    expect(result).toMatchObject({ prepare: 'cached', train: 'completed', report: 'cached' })
    expect(await explain(result.run!, 'train')).toEqual(['code: lib/index.ts changed'])
  })

  it('re-runs train when an imported JSON file changes', async () => {
    await edit('config.json', () => '{ "factor": 3 }\n')
    const result = await states()
    expect(result.train).toBe('completed')
    expect(await explain(result.run!, 'train')).toEqual(['code: config.json changed'])
  })

  it("re-runs train when a dependency's installed version changes", async () => {
    await edit('node_modules/fake-dep/package.json', (content) => content.replace('1.0.0', '1.0.1'))
    const result = await states()
    expect(result.train).toBe('completed')
    expect(await explain(result.run!, 'train')).toEqual(['package: fake-dep 1.0.0 → 1.0.1'])
  })

  it("does not re-run train when only an unrelated step's module changes", async () => {
    await edit('steps/prepare.ts', (content) => `${content}// a comment\n`)
    const result = await states()
    // prepare re-runs (its code changed) but produces the same bytes, so train's input digest is unchanged.
    expect(result).toMatchObject({ prepare: 'completed', train: 'cached', report: 'cached' })
  })

  it('re-runs descendants when, and only when, an input digest changes', async () => {
    const result = await states({ n: 4 })
    expect(result).toMatchObject({ prepare: 'completed', train: 'completed', report: 'completed' })
    expect(await explain(result.run!, 'prepare')).toEqual(['parameter: n 3 → 4'])
    expect((await explain(result.run!, 'train'))[0]).toMatch(/^input: 'data' content changed/)
  })
})
