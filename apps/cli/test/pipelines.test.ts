import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BIN, createSandbox, link, ok, type Sandbox } from './helpers.js'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')

// A user's project: a pipeline module in TypeScript that the CLI runs with no build step.
const PIPELINES = `
import { setTimeout as sleep } from 'node:timers/promises'
import { input, pipeline, step } from '@strata/sdk'
import { z } from 'zod'
import { scale } from './lib/scale.js'

export const prepare = step({ name: 'prepare', params: z.object({ n: z.number().default(4) }) }, async (_inputs, ctx) => {
  console.log('preparing', ctx.params.n)
  return Array.from({ length: ctx.params.n }, (_, index) => index + 1)
})

export const total = step({ name: 'total', inputs: { numbers: input<number[]>() } }, async ({ numbers }, ctx) => {
  if (process.env.BREAK_TOTAL === '1') throw new Error('totals are broken today')
  const sum = numbers.reduce((a, b) => a + scale(b), 0)
  ctx.logMetadata({ sum })
  return sum
})

export const report = step({ name: 'report', inputs: { sum: input<number>() } }, async ({ sum }) => ({ sum }))

export const demo = pipeline({ name: 'demo', params: z.object({ n: z.number().default(4) }) }, ({ n }) => {
  report({ sum: total({ numbers: prepare({ params: { n } }) }) })
})

export const slow = step({ name: 'slow', outputs: [] }, async (_inputs, ctx) => {
  console.log('slow started')
  await sleep(30_000, undefined, { signal: ctx.signal })
})

export const long = pipeline({ name: 'long', cache: false }, () => {
  slow()
})

export const fit = step({ name: 'fit', inputs: { numbers: input<number[]>() }, artifacts: { output: { name: 'summer', kind: 'model' } } }, async ({ numbers }, ctx) => {
  ctx.logMetadata({ size: numbers.length })
  return { offset: numbers.length }
})

export const modelled = pipeline({ name: 'modelled', model: { name: 'summer-model' } }, () => {
  fit({ numbers: prepare() })
})

// Running the module directly runs the pipeline; 'strata pipeline run' imports it without running.
if (process.env.RUN_FROM_CODE === '1') await demo.run()
`

// Steps that fail the ways user code does: an SDK call refusing (a StrataError) and a plain bug.
const FAULTY = `
import { Client, pipeline, step } from '@strata/sdk'

export const strict = step({ name: 'strict', outputs: [] }, async () => {
  const client = await Client.open()
  try {
    await client.getRun('no-such-run')
  } finally {
    await client.close()
  }
})
export const typed = step({ name: 'typed', outputs: [] }, async () => {
  const settings = (globalThis as Record<string, any>).notThere
  settings.call()
})
export const faulty = pipeline({ name: 'faulty', cache: false }, () => {
  strict()
  typed()
})
`

let sandbox: Sandbox
let run: (args: string[], env?: NodeJS.ProcessEnv) => ReturnType<Sandbox['strata']>

beforeAll(() => {
  sandbox = createSandbox()
  const modules = join(sandbox.project, 'node_modules')
  link(join(repo, 'packages/sdk'), join(modules, '@strata/sdk'))
  mkdirSync(join(sandbox.project, 'lib'))
  writeFileSync(join(sandbox.project, 'lib/scale.ts'), 'export const scale = (x: number) => x * 2\n')
  writeFileSync(join(sandbox.project, 'pipelines.ts'), PIPELINES)
  writeFileSync(join(sandbox.project, 'faulty.ts'), FAULTY)
  run = (args, env) => sandbox.strata(args, env ? { env } : {})
})
afterAll(() => sandbox?.cleanup())

function runName(output: string): string {
  const match = /^run (\S+): \d+ steps? on stack/m.exec(output)
  if (!match) throw new Error(`no run name in: ${output}`)
  return match[1]!
}

describe('strata pipeline', () => {
  it('runs a TypeScript pipeline with no build step, then serves it from the cache, also when run from code', async () => {
    const first = await ok(sandbox, ['pipeline', 'run', 'pipelines.ts', '--name', 'demo'])
    expect(first.stdout).toContain('[prepare] preparing 4')
    expect(first.stdout).toMatch(/^step report: completed$/m)
    expect(first.stdout).toMatch(/^run demo-\S+: completed$/m)

    const second = await ok(sandbox, ['pipeline', 'run', 'pipelines.ts', '--name', 'demo'])
    expect(second.stdout).toContain('all 3 steps cached — the orchestrator was not called')

    // The same source, run from code (tsx), shares the cache.
    const fromCode = await new Promise<string>((resolvePromise, reject) => {
      const child = spawn(
        process.execPath,
        [join(repo, 'apps/cli/node_modules/tsx/dist/cli.mjs'), 'pipelines.ts'],
        {
          cwd: sandbox.project,
          env: { ...process.env, STRATA_CONFIG_DIR: sandbox.configDir, RUN_FROM_CODE: '1' },
        },
      )
      let out = ''
      child.stdout.on('data', (chunk) => (out += chunk))
      child.stderr.on('data', (chunk) => (out += chunk))
      child.on('error', reject)
      child.on('close', () => resolvePromise(out))
    })
    expect(fromCode).toContain('all 3 steps cached — the orchestrator was not called')

    const listed = await ok(sandbox, ['run', 'list', '--output', 'json'])
    const runs = JSON.parse(listed.stdout) as {
      items: Array<{ name: string; status: string; pipelineName: string }>
      pagination: unknown
    }
    expect(runs.items.map((entry) => entry.status)).toEqual(['completed', 'completed', 'completed'])
    expect(runs.pagination).toEqual({ page: 1, size: 20, totalPages: 1, total: 3 })
    const described = await ok(sandbox, ['pipeline', 'runs', 'describe', runName(first.stdout)])
    expect(described.stdout).toMatch(/^Status\s+completed$/m)
    expect(described.stdout).toMatch(/^total\s+completed\s+1\s/m)
    expect(described.stdout).toContain('total  sum: 20')
    expect((await ok(sandbox, ['pipeline', 'list'])).stdout).toMatch(/^demo\s+3\s/m)
  })

  it('explains why a step ran again: the helper file that changed', async () => {
    writeFileSync(
      join(sandbox.project, 'lib/scale.ts'),
      'export const scale = (x: number) => x * 2 // same result\n',
    )
    const rerun = await ok(sandbox, ['pipeline', 'run', 'pipelines.ts', '--name', 'demo'])
    // The fingerprint is per module: every step of pipelines.ts imports lib/scale.ts, so all re-run.
    expect(rerun.stdout).toMatch(/^step prepare: completed$/m)
    expect(rerun.stdout).toMatch(/^step total: completed$/m)
    const explained = await ok(sandbox, ['pipeline', 'runs', 'explain-cache', runName(rerun.stdout), 'total'])
    expect(explained.stdout).toBe('step total completed because:\n  - code: lib/scale.ts changed\n')
  })

  it('fails a run with its error and logs kept, then resumes it without re-running completed steps', async () => {
    const failed = await run(['pipeline', 'run', 'pipelines.ts', '--name', 'demo', '--config', 'run.yaml'], {
      BREAK_TOTAL: '1',
    }).catch((error) => error)
    // run.yaml does not exist yet: a clear error, exit 1, nothing recorded.
    expect(failed.code).toBe(1)
    expect(failed.stderr).toMatch(/^Error: cannot read run config .*run\.yaml: .* — check the path$/m)

    writeFileSync(
      join(sandbox.project, 'run.yaml'),
      'parameters:\n  n: 5\nsteps:\n  total:\n    retry: { maxRetries: 1 }\n',
    )
    const broken = await run(['pipeline', 'run', 'pipelines.ts', '--name', 'demo', '--config', 'run.yaml'], {
      BREAK_TOTAL: '1',
    })
    expect(broken.code).toBe(1)
    expect(broken.stdout).toMatch(/^step total: failed — totals are broken today$/m)
    const name = runName(broken.stdout)
    expect(broken.stdout).toContain(`fix it, then 'strata pipeline runs resume ${name}'`)
    const logs = await ok(sandbox, ['pipeline', 'runs', 'logs', name, '--step', 'total'])
    expect(logs.stdout).toContain('Error: totals are broken today')
    expect(logs.stdout).toContain('attempt 1 failed; retrying')

    const resumed = await ok(sandbox, ['pipeline', 'runs', 'resume', name])
    expect(resumed.stdout).toContain(`resuming run ${name}: 1 of 3 steps already done`)
    expect(resumed.stdout).not.toContain('step prepare')
    expect(resumed.stdout).toMatch(/^run \S+: completed$/m)
    const described = JSON.parse(
      (await ok(sandbox, ['run', 'describe', name, '--output', 'json'])).stdout,
    ) as {
      status: string
      steps: Array<{ name: string; status: string }>
    }
    expect(described.status).toBe('completed')
    expect(described.steps.map((step) => `${step.name}:${step.status}`)).toEqual([
      'prepare:completed',
      'total:completed',
      'report:completed',
    ])
  })

  it("records a failed step's error as its message: no StrataError prefix, a telling class name kept", async () => {
    const failed = await run(['pipeline', 'run', 'faulty.ts'])
    expect(failed.code).toBe(1)
    const refused = "no pipeline run 'no-such-run' — list runs with 'strata pipeline runs list'"
    const bug = "TypeError: Cannot read properties of undefined (reading 'call')"
    expect(failed.stdout).toContain(`step strict: failed — ${refused}\n`)
    expect(failed.stdout).toContain(`step typed: failed — ${bug}\n`)
    const name = runName(failed.stdout)
    const table = (await ok(sandbox, ['pipeline', 'runs', 'describe', name])).stdout
    const rows = table.split('\n').filter((line) => /^(strict|typed)\s/.test(line))
    expect(rows).toEqual([
      expect.stringMatching(/^strict\s+failed\s+1\s+\d+( ms|s)\s+/),
      expect.stringMatching(/^typed\s+failed\s+1\s+\d+( ms|s)\s+/),
    ])
    expect(rows[0]!.endsWith(` ${refused}`)).toBe(true)
    expect(rows[1]!.endsWith(` ${bug}`)).toBe(true)
    expect(table).not.toContain('StrataError')
    const described = JSON.parse(
      (await ok(sandbox, ['pipeline', 'runs', 'describe', name, '--output', 'json'])).stdout,
    ) as { steps: Array<{ name: string; error: string }> }
    expect(described.steps.map((step) => [step.name, step.error])).toEqual([
      ['strict', refused],
      ['typed', bug],
    ])
  })

  it('stops a run on SIGINT, leaving nothing running, exit code 130', async () => {
    const child = spawn(process.execPath, [BIN, 'pipeline', 'run', 'pipelines.ts', '--name', 'long'], {
      cwd: sandbox.project,
      env: { ...process.env, STRATA_CONFIG_DIR: sandbox.configDir, NO_COLOR: '1' },
    })
    let out = ''
    child.stdout.on('data', (chunk) => (out += chunk))
    child.stderr.on('data', (chunk) => (out += chunk))
    for (let waited = 0; !out.includes('slow started'); waited += 50) {
      if (waited > 20_000) throw new Error(`the long run never started: ${out}`)
      await sleep(50)
    }
    child.kill('SIGINT')
    const code = await new Promise((resolvePromise) => child.on('close', resolvePromise))
    expect(code).toBe(130)
    expect(out).toMatch(/^step slow: stopped/m)
    const runs = JSON.parse(
      (await ok(sandbox, ['run', 'list', '--pipeline', 'long', '--output', 'json'])).stdout,
    )
    expect(runs.items[0].status).toBe('stopped')
    const steps = JSON.parse(
      (await ok(sandbox, ['run', 'describe', runs.items[0].name, '--output', 'json'])).stdout,
    ).steps
    expect(steps.map((step: { status: string }) => step.status)).toEqual(['stopped'])
  })

  it('prints the run config JSON Schema', async () => {
    const schema = JSON.parse((await ok(sandbox, ['pipeline', 'config-schema'])).stdout)
    expect(schema.title).toBe('Strata run configuration')
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['parameters', 'steps', 'failureMode', 'settings']),
    )
  })

  it('reports a module that cannot load in one line: the file, the problem and the fix', async () => {
    writeFileSync(
      join(sandbox.project, 'missing-package.ts'),
      "import { pipeline } from '@strata/sdk'\nimport { frame } from 'tabular-frames'\nexport const p = pipeline({ name: 'p' }, () => { frame() })\n",
    )
    writeFileSync(
      join(sandbox.project, 'missing-module.ts'),
      "import { pipeline } from '@strata/sdk'\nimport { help } from './lib/helpers.js'\nexport const p = pipeline({ name: 'p' }, () => { help() })\n",
    )
    writeFileSync(
      join(sandbox.project, 'bad-syntax.ts'),
      "import { pipeline } from '@strata/sdk'\nexport const p = pipeline({ name: 'p' }, () => {\n  const rows = ;\n})\n",
    )
    writeFileSync(
      join(sandbox.project, 'throws.ts'),
      "export const limit = 3\nthrow new RangeError('limit must be set')\n",
    )
    const rows = sandbox.dump()
    const expected: Record<string, string> = {
      'missing-package.ts':
        "Error: cannot load missing-package.ts: package 'tabular-frames' (imported by missing-package.ts) is not installed — install it in the project ('npm install tabular-frames'), or fix the import\n",
      'missing-module.ts':
        'Error: cannot load missing-module.ts: lib/helpers.js (imported by missing-module.ts) does not exist — fix the import path\n',
      'bad-syntax.ts':
        'Error: cannot load bad-syntax.ts: syntax error at bad-syntax.ts:3:15: Unexpected ";" — fix the code there\n',
      'throws.ts':
        'Error: cannot load throws.ts: it threw while loading (at throws.ts:2:7): RangeError: limit must be set — fix the code that runs when the module is imported\n',
    }
    // No lockfile in the project and no package manager running the CLI: npm's command.
    for (const [file, error] of Object.entries(expected)) {
      const result = await run(['pipeline', 'run', file], { npm_config_user_agent: '' })
      expect(result.code, file).toBe(1)
      expect(result.stderr, file).toBe(error)
      expect(result.stdout, file).toBe('')
    }
    // Run through pnpm (`pnpm strata ...`, `pnpm exec strata ...`), the fix is pnpm's.
    const throughPnpm = await run(['pipeline', 'run', 'missing-package.ts'], {
      npm_config_user_agent: 'pnpm/10.34.9 npm/? node/v24.21.0 linux x64',
    })
    expect(throughPnpm.stderr).toContain("('pnpm add tabular-frames')")
    expect(sandbox.dump()).toEqual(rows)
  })

  it('names "type": "module" when a module fails to load as CommonJS, or outside any package', async () => {
    const source =
      "import { pipeline } from '@strata/sdk'\nexport const p = pipeline({ name: 'p' }, () => {})\n"
    const commonjs = join(sandbox.project, 'commonjs')
    mkdirSync(commonjs, { recursive: true })
    writeFileSync(join(commonjs, 'package.json'), JSON.stringify({ name: 'commonjs', version: '1.0.0' }))
    writeFileSync(join(commonjs, 'pipeline.ts'), source)
    const result = await run(['pipeline', 'run', 'commonjs/pipeline.ts'])
    expect(result.code).toBe(1)
    expect(result.stderr).toBe(
      'Error: cannot load commonjs/pipeline.ts: commonjs/package.json has no "type": "module", so Node loads it as CommonJS, and Strata is ES modules only — add "type": "module" to commonjs/package.json (\'npm pkg set type=module\'), or rename the file to .mts\n',
    )
    // A folder with no package.json above it (the sandbox's tmpdir has none).
    const bare = mkdtempSync(join(tmpdir(), 'strata-no-package-'))
    try {
      writeFileSync(join(bare, 'pipeline.ts'), source)
      const outside = await sandbox.strata(['pipeline', 'run', 'pipeline.ts'], { cwd: bare })
      expect(outside.code).toBe(1)
      expect(outside.stderr).toBe(
        `Error: cannot load pipeline.ts: there is no package.json above it, so Node loads it as CommonJS, and Strata is ES modules only — create one with "type": "module" ('npm init -y && npm pkg set type=module'), or start a project with 'npm create strata@latest'\n`,
      )
    } finally {
      rmSync(bare, { recursive: true, force: true })
    }
  })

  it('says when filters match none of the runs there are, and how to list them all', async () => {
    const all = JSON.parse((await ok(sandbox, ['run', 'list', '--output', 'json'])).stdout).pagination.total
    expect(all).toBeGreaterThan(0)
    const result = await run(['run', 'list', '--pipeline', 'no-such-pipeline'])
    expect(result.code).toBe(0)
    expect(result.stdout).toBe('')
    expect(result.stderr).toBe(
      `No runs match --pipeline no-such-pipeline (of ${all} ${all === 1 ? 'run' : 'runs'}) — 'strata run list' lists them all.\n`,
    )
  })

  it('names a missing pipeline and an ambiguous module', async () => {
    const ambiguous = await run(['pipeline', 'run', 'pipelines.ts'])
    expect(ambiguous.code).toBe(1)
    expect(ambiguous.stderr).toBe(
      'Error: pipelines.ts exports several pipelines (demo, long, modelled) — choose one with --name\n',
    )
    const unknown = await run(['pipeline', 'run', 'pipelines.ts', '--name', 'nope'])
    expect(unknown.stderr).toBe(
      "Error: pipelines.ts has no pipeline 'nope' — it exports: demo, long, modelled\n",
    )
  })
})

describe('strata artifact', () => {
  it('lists, describes and prunes artifacts', async () => {
    writeFileSync(join(sandbox.project, 'other.yaml'), 'parameters:\n  n: 9\n')
    const listed = (await ok(sandbox, ['artifact', 'list'])).stdout
    expect(listed).toMatch(/^demo::total::output\s+\d+\s+v\d+/m)
    const versions = (await ok(sandbox, ['artifact', 'versions', 'demo::total::output'])).stdout
    expect(versions).toMatch(/^v1\s+\S+\s+data\s+number\s+strata\.json@1/m)
    const described = (await ok(sandbox, ['artifact', 'describe', 'demo::total::output', '--version', '1']))
      .stdout
    expect(described).toMatch(/^Digest\s+sha256:[0-9a-f]{64}$/m)
    const missing = await run(['artifact', 'describe', 'nothing'])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toBe(
      "Error: no artifact named 'nothing' — list artifacts with 'strata artifact list'\n",
    )
    // Deleting the only run that used some outputs makes them unreferenced; prune deletes only with --yes.
    await ok(sandbox, ['pipeline', 'run', 'pipelines.ts', '--name', 'demo', '--config', 'other.yaml'])
    const latest = JSON.parse(
      (await ok(sandbox, ['run', 'list', '--pipeline', 'demo', '--size', '1', '--output', 'json'])).stdout,
    )
    await ok(sandbox, ['run', 'delete', latest.items[0].name])
    const dry = await ok(sandbox, ['artifact', 'prune'])
    expect(dry.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^version {2}demo::prepare::output v\d+ {2}\d+ B {2}artifacts\/demo__prepare__output\/\S+\/$/,
      ),
      expect.stringMatching(/^version {2}demo::report::output v\d+/),
      expect.stringMatching(/^version {2}demo::total::output v\d+/),
    ])
    expect(dry.stderr).toContain('Dry run: nothing was deleted. Pass --yes to delete these.')
    const pruned = await ok(sandbox, ['artifact', 'prune', '--yes'])
    expect(pruned.stderr).toContain('Deleted 3 versions, 0 orphaned prefixes and 0 temporary files.')
    expect((await ok(sandbox, ['artifact', 'prune'])).stdout).toBe('Nothing to prune.\n')
  })
})

describe('strata model', () => {
  it('registers models, lists versions, and promotes with exclusive stages', async () => {
    await ok(sandbox, [
      'model',
      'register',
      'sums',
      '--description',
      'Adds numbers',
      '--license',
      'MIT',
      '-t',
      'demo',
    ])
    const duplicate = await run(['model', 'register', 'sums'])
    expect(duplicate.code).toBe(1)
    expect(duplicate.stderr).toBe(
      "Error: model 'sums' already exists — change it with 'strata model update sums'\n",
    )
    // Versions come from runs declaring the model; here through the SDK's store, as a training run would.
    const { SqliteStore } = await import('@strata/store')
    const store = SqliteStore.open({ configDir: sandbox.configDir })
    await store.models.createVersion('sums')
    await store.models.createVersion('sums')
    await store.close()

    const empty = await run(['model', 'version', 'describe', 'sums', 'production'])
    expect(empty.code).toBe(1)
    expect(empty.stderr).toBe(
      "Error: model 'sums' has no version in stage 'production' — promote one with 'strata model version update sums VERSION --stage production'\n",
    )
    await ok(sandbox, ['model', 'version', 'update', 'sums', '1', '--stage', 'production'])
    const occupied = await run(['model', 'version', 'update', 'sums', '2', '--stage', 'production'])
    expect(occupied.code).toBe(1)
    expect(occupied.stderr).toBe(
      "Error: version 1 of model 'sums' is already in production — pass --force to archive it and promote version 2\n",
    )
    const forced = await ok(sandbox, [
      'model',
      'version',
      'update',
      'sums',
      '2',
      '--stage',
      'production',
      '--force',
    ])
    expect(forced.stderr).toContain('Model sums v2 is in production.')
    const versions = (await ok(sandbox, ['model', 'version', 'list', 'sums'])).stdout
    expect(versions).toMatch(/^v2\s+production/m)
    expect(versions).toMatch(/^v1\s+archived/m)
    const described = (await ok(sandbox, ['model', 'describe', 'sums'])).stdout
    expect(described).toMatch(/^Versions\s+v2 \(production\), v1 \(archived\)$/m)
    expect(described).toMatch(/\sv1\s+production\s+archived\s/)
    const list = JSON.parse((await ok(sandbox, ['model', 'list', '--output', 'json'])).stdout)
    expect(list.items).toMatchObject([
      { name: 'sums', versions: 2, production: 2, license: 'MIT', tags: ['demo'] },
    ])
    const page = JSON.parse(
      (await ok(sandbox, ['model', 'version', 'list', 'sums', '--size', '1', '--output', 'json'])).stdout,
    )
    expect(page).toMatchObject({
      items: [{ number: 2 }],
      pagination: { page: 1, size: 1, totalPages: 2, total: 2 },
    })
    const second = (await ok(sandbox, ['model', 'version', 'list', 'sums', '--size', '1', '--page', '2']))
      .stdout
    expect(second).toMatch(/^v1\s+archived/m)
    expect(second).not.toMatch(/^v2\s/m)
    const footer = await ok(sandbox, ['model', 'version', 'list', 'sums', '--size', '1'])
    expect(footer.stderr + footer.stdout).toContain(
      'Page 1 of 2 (2 versions); use --page and --size to see more.',
    )
    expect((await ok(sandbox, ['model', 'version', 'describe', 'sums', 'latest'])).stdout).toMatch(
      /^Version\s+v2$/m,
    )
  })

  it('shows the artifacts and runs a training run linked to its new model version', async () => {
    const trained = await ok(sandbox, ['pipeline', 'run', 'pipelines.ts', '--name', 'modelled'])
    const name = runName(trained.stdout)
    const artifacts = (await ok(sandbox, ['model', 'version', 'artifacts', 'summer-model', 'latest'])).stdout
    // prepare came from the cache (a demo run made the same output): still linked, as data.
    expect(artifacts).toMatch(/^\w+::prepare::output\s+v\d+\s+data\s/m)
    expect(artifacts).toMatch(/^summer\s+v1\s+model\s/m)
    const runs = (await ok(sandbox, ['model', 'version', 'runs', 'summer-model', '1'])).stdout
    expect(runs).toMatch(new RegExp(`^${name}\\s+completed\\s`, 'm'))
    const linked = JSON.parse(
      (await ok(sandbox, ['model', 'version', 'runs', 'summer-model', '1', '--output', 'json'])).stdout,
    )
    expect(linked).toMatchObject({ items: [{ name }], pagination: { page: 1, total: 1 } })
    const yaml = (
      await ok(sandbox, [
        'model',
        'version',
        'artifacts',
        'summer-model',
        '1',
        '--output',
        'yaml',
        '--size',
        '1',
      ])
    ).stdout
    expect(yaml).toMatch(/^items:\n {2}- /m)
    expect(yaml).toMatch(/^pagination:\n {2}page: 1\n {2}size: 1\n/m)
    const described = (await ok(sandbox, ['model', 'version', 'describe', 'summer-model', '1'])).stdout
    expect(described).toMatch(/^Metadata\s+size=4$/m)
    const run = (await ok(sandbox, ['pipeline', 'runs', 'describe', name])).stdout
    expect(run).toMatch(/^Model\s+summer-model v1$/m)
  })
})
