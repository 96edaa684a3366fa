// The read-only commands that meet the start-up budget (2× a bare `node -e 0`, measured by `pnpm bench:cli`)
// do so because their module graph is small: no zod, no YAML parser, no TypeScript loader, no plugin code
// (those that read the artifact store: only the store, through its flavor's createModule) and not the whole
// SDK. The built binary runs each of them under a module hook that records every module it loads; a module
// from the forbidden list fails the test with the command and the module named.
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSandbox, ok, type Sandbox } from './helpers.js'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')

const PIPELINES = `
import { pipeline, step } from '@strata/sdk'

export const makeRows = step(
  { name: 'make_rows', artifacts: { output: { name: 'rows' } } },
  async (_inputs, ctx) => {
    ctx.logger.info('making rows')
    return [1, 2, 3]
  },
)

export const rows = pipeline({ name: 'rows', model: { name: 'counter' }, cache: false }, () => {
  makeRows()
})
`

/** Records each loaded module's URL, written to STRATA_TEST_LOADS when the process exits. */
// It takes fs from getBuiltinModule: importing it here would load node:fs's ESM facade before the hook could
// see whether the command does.
const HOOK = `
import { registerHooks } from 'node:module'
const loaded = []
registerHooks({ load(url, context, next) { loaded.push(url); return next(url, context) } })
process.on('exit', () =>
  process.getBuiltinModule('node:fs').writeFileSync(process.env.STRATA_TEST_LOADS, loaded.join('\\n')),
)
`

/** What a fast command must not load, each with why it is heavy. */
const FORBIDDEN: Array<[RegExp, string]> = [
  [/\/node_modules\/zod\//, 'zod'],
  [/\/node_modules\/yaml\//, 'the YAML parser'],
  [/\/node_modules\/(tsx|esbuild)\//, 'the TypeScript loader'],
  [/\/packages\/sdk\/dist\/(index|internal)\.js$/, 'the whole SDK'],
  [/\/packages\/core\/dist\/index\.js$/, "core's main entry (zod)"],
  [/\/plugins\/|\/@strata\/(local|s3|gcs|mlflow|kubernetes|kubeflow)\/dist\//, 'plugin code'],
  [/\/@fixture\/strata-demo\//, 'plugin code'],
  // `import ... from 'node:fs'` builds an ESM facade whose `promises` loads fs/promises (~3 ms, about a tenth
  // of the budget): fast paths take the module from process.getBuiltinModule('node:fs').
  [/^node:fs$/, "node:fs's ESM facade"],
]

/**
 * The commands that read the artifact store load its implementation, through the flavor's zod-free
 * `createModule` (see docs/writing-a-flavor.md), but still not the plugin's entry with its zod schemas.
 */
const READS_STORE = new Set([
  'pipeline runs logs RUN',
  'artifact describe rows',
  'artifact describe rows --verify',
])
const PLUGIN_ENTRY: [RegExp, string] = [
  /\/plugins\/[^/]+\/dist\/index\.js$|\/@strata\/(local|s3|gcs|mlflow|kubernetes|kubeflow)\/dist\/index\.js$/,
  "a plugin's entry (its zod schemas)",
]

let sandbox: Sandbox
let hook: string
let loadsFile: string
let run: string

beforeAll(async () => {
  sandbox = createSandbox()
  const sdk = join(sandbox.project, 'node_modules/@strata/sdk')
  mkdirSync(dirname(sdk), { recursive: true })
  symlinkSync(join(repo, 'packages/sdk'), sdk)
  writeFileSync(join(sandbox.project, 'pipelines.ts'), PIPELINES)
  hook = join(sandbox.project, 'record-loads.mjs')
  writeFileSync(hook, HOOK)
  loadsFile = join(sandbox.project, 'loads.txt')
  const ran = await ok(sandbox, ['pipeline', 'run', 'pipelines.ts'])
  run = /^run (\S+): /m.exec(ran.stdout)?.[1] ?? ''
  expect(run, ran.stdout).not.toBe('')
}, 120_000)
afterAll(() => sandbox?.cleanup())

/** The modules `strata args` loads (it must succeed). */
async function modulesOf(args: string[]): Promise<string[]> {
  rmSync(loadsFile, { force: true })
  await ok(sandbox, args, {
    env: { NODE_OPTIONS: `--import=${pathToFileURL(hook).href}`, STRATA_TEST_LOADS: loadsFile },
  })
  return readFileSync(loadsFile, 'utf8').split('\n').filter(Boolean)
}

const LAZY_COMMANDS = [
  ['--help'],
  ['stack', 'list'],
  ['stack', 'describe'],
  ['orchestrator', 'list'],
  ['artifact-store', 'describe'],
  ['orchestrator', 'flavor', 'list'],
  ['artifact-store', 'flavor', 'list'],
  ['artifact-store', 'flavor', 'describe', 'local'],
  ['integration', 'list'],
  ['secret', 'list'],
  ['pipeline', 'list'],
  ['pipeline', 'schedule', 'list'],
  ['pipeline', 'runs', 'list'],
  ['pipeline', 'runs', 'describe', 'RUN'],
  ['pipeline', 'runs', 'logs', 'RUN'],
  ['run', 'list'],
  ['artifact', 'list'],
  ['artifact', 'versions', 'rows'],
  ['artifact', 'describe', 'rows'],
  ['artifact', 'describe', 'rows', '--verify'],
  ['model', 'list'],
  ['model', 'describe', 'counter'],
  ['model', 'version', 'list', 'counter'],
  ['model', 'version', 'describe', 'counter', 'latest'],
  ['status'],
]

describe('the module graph of the fast read-only commands stays lazy', () => {
  it.each(LAZY_COMMANDS.map((args) => [args.join(' '), args]))(
    'strata %s loads no zod, YAML, TypeScript loader, plugin code (or entry) or whole SDK',
    async (name, args) => {
      const modules = await modulesOf((args as string[]).map((arg) => (arg === 'RUN' ? run : arg)))
      // The hook saw the CLI itself: an empty list would prove nothing.
      expect(modules.some((url) => url.endsWith('/apps/cli/dist/main.js'))).toBe(true)
      const readsStore = READS_STORE.has(name as string)
      const forbidden = readsStore
        ? [
            ...FORBIDDEN.filter(([, what]) => what !== 'plugin code' && what !== "node:fs's ESM facade"),
            PLUGIN_ENTRY,
          ]
        : FORBIDDEN
      // The store was opened through the local flavor's createModule, not by building the stack.
      if (readsStore)
        expect(modules.some((url) => url.endsWith('/local-artifact-store-create.js'))).toBe(true)
      const heavy = modules.flatMap((url) =>
        forbidden.filter(([pattern]) => pattern.test(url)).map(([, what]) => `${what}: ${url}`),
      )
      expect(heavy).toEqual([])
    },
    60_000,
  )

  it('sees a heavy module when a command loads one (the hook and the list work)', async () => {
    const modules = await modulesOf(['pipeline', 'config-schema'])
    expect(modules.some((url) => /\/node_modules\/zod\//.test(url))).toBe(true)
    // `strata version` imports node:fs (it is no start-up-critical command): the hook sees such an import.
    expect(await modulesOf(['version'])).toContain('node:fs')
  }, 60_000)
})
