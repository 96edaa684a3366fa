// `strata model update|delete` and `strata model version delete` through the built binary, with the store's
// rows checked, and the artifact kinds a training run links to its model version.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSandbox, ok, type Sandbox } from './helpers.js'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')

const PIPELINES = `
import { input, pipeline, step } from '@strata/sdk'

export const prepare = step({ name: 'prepare' }, async () => [1, 2, 3])

export const fit = step(
  { name: 'fit', inputs: { numbers: input<number[]>() }, artifacts: { output: { name: 'adder-weights', kind: 'model' } } },
  async ({ numbers }) => ({ offset: numbers.length }),
)

export const deploy = step(
  { name: 'deploy', inputs: { model: input<{ offset: number }>() }, artifacts: { output: { name: 'adder-endpoint', kind: 'deployment' } } },
  async ({ model }) => ({ url: 'http://127.0.0.1:9/predict', offset: model.offset }),
)

export const serve = step(
  { name: 'serve', inputs: { model: input<{ offset: number }>() }, artifacts: { output: { name: 'adder-service', kind: 'service' } } },
  async ({ model }) => ({ replicas: 1, offset: model.offset }),
)

export const training = pipeline({ name: 'training', model: { name: 'adder' }, cache: false }, () => {
  const model = fit({ numbers: prepare() })
  deploy({ model })
  serve({ model })
})
`

type Row = Record<string, unknown>

let sandbox: Sandbox
const strata = (args: string[]) => sandbox.strata(args)
const rows = (table: string) => (sandbox.dump()[table] ?? []) as Row[]

function runName(output: string): string {
  const match = /^run (\S+): \d+ steps? on stack/m.exec(output)
  if (!match) throw new Error(`no run name in: ${output}`)
  return match[1]!
}

/** Runs a command that must be refused: exit 1, exactly `message` on stderr, and the store as it was. */
async function refused(args: string[], message: string): Promise<void> {
  const before = sandbox.dump()
  const result = await strata(args)
  expect(result.code, result.stdout).toBe(1)
  expect(result.stderr).toBe(`Error: ${message}\n`)
  expect(sandbox.dump()).toEqual(before)
}

beforeAll(() => {
  sandbox = createSandbox()
  const sdk = join(sandbox.project, 'node_modules/@strata/sdk')
  mkdirSync(dirname(sdk), { recursive: true })
  symlinkSync(join(repo, 'packages/sdk'), sdk)
  writeFileSync(join(sandbox.project, 'pipelines.ts'), PIPELINES)
})
afterAll(() => sandbox?.cleanup())

describe('strata model: the artifact kinds a training run links', () => {
  it('links model, deployment and service outputs as model and deployment artifacts, the rest as data', async () => {
    const trained = await ok(sandbox, ['pipeline', 'run', 'pipelines.ts', '--name', 'training'])
    expect(trained.stdout).toMatch(/^run training-\S+: completed$/m)
    const listed = JSON.parse(
      (await ok(sandbox, ['model', 'version', 'artifacts', 'adder', '1', '--output', 'json'])).stdout,
    ) as { items: Array<{ name: string; version: number; kind: string }> }
    expect(listed.items.map((artifact) => `${artifact.name} v${artifact.version} ${artifact.kind}`)).toEqual([
      'adder-endpoint v1 deployment',
      'adder-service v1 deployment',
      'adder-weights v1 model',
      'training::prepare::output v1 data',
    ])
    const table = (await ok(sandbox, ['model', 'version', 'artifacts', 'adder', 'latest'])).stdout
    expect(table).toMatch(/^adder-endpoint\s+v1\s+deployment\s/m)
    // In the store: one link per artifact version, with its kind.
    const links = rows('model_version_artifacts')
    expect(links.map((link) => link.kind).sort()).toEqual(['data', 'deployment', 'deployment', 'model'])
  })
})

describe('strata model update', () => {
  it('changes the fields it is given and keeps the others, renames, and refuses a taken name', async () => {
    await ok(sandbox, ['model', 'register', 'spare', '--description', 'Another model'])
    const updated = await ok(sandbox, [
      'model',
      'update',
      'adder',
      '--description',
      'Adds numbers',
      '--license',
      'Apache-2.0',
      '--use-cases',
      'sums',
      '-t',
      'demo',
      '-t',
      'tabular',
    ])
    expect(updated.stderr).toContain("Updated model 'adder'.")
    await ok(sandbox, ['model', 'update', 'adder', '--limitations', 'integers only'])
    const described = JSON.parse(
      (await ok(sandbox, ['model', 'describe', 'adder', '--output', 'json'])).stdout,
    )
    expect(described).toMatchObject({
      name: 'adder',
      description: 'Adds numbers',
      license: 'Apache-2.0',
      useCases: 'sums',
      limitations: 'integers only',
      tags: ['demo', 'tabular'],
    })

    await refused(
      ['model', 'update', 'adder', '--name', 'spare'],
      "model 'spare' already exists — pick another name",
    )
    await refused(
      ['model', 'update', 'no-such-model', '--description', 'x'],
      "no model 'no-such-model' — list models with 'strata model list', or register it with 'strata model register no-such-model'",
    )

    const id = rows('models').find((model) => model.name === 'adder')!.id
    await ok(sandbox, ['model', 'update', 'adder', '--name', 'summer'])
    // The same row under its new name: versions, links and runs follow.
    expect(rows('models').find((model) => model.id === id)).toMatchObject({ name: 'summer' })
    expect((await strata(['model', 'describe', 'adder'])).code).toBe(1)
    expect((await ok(sandbox, ['model', 'version', 'list', 'summer'])).stdout).toMatch(/^v1\s/m)
    expect((await ok(sandbox, ['model', 'version', 'runs', 'summer', '1'])).stdout).toMatch(
      /^training-\S+\s+completed\s/m,
    )
    // And back: the training pipeline declares 'adder', and its next run adds a version to it.
    await ok(sandbox, ['model', 'update', 'summer', '--name', 'adder'])
    expect(rows('models').find((model) => model.id === id)).toMatchObject({ name: 'adder' })
  })
})

describe('strata model version delete and model delete', () => {
  it('refuses versions that do not exist, deletes one linked to a run and keeps the run, unlinked', async () => {
    // Versions come from runs: a second training run makes v2.
    const trained = await ok(sandbox, ['pipeline', 'run', 'pipelines.ts', '--name', 'training'])
    const name = runName(trained.stdout)
    await ok(sandbox, ['model', 'version', 'update', 'adder', '2', '--stage', 'production'])

    await refused(
      ['model', 'version', 'delete', 'adder', '9'],
      "model 'adder' has no version '9' — see 'strata model version list adder'",
    )
    await refused(
      ['model', 'version', 'delete', 'adder', 'staging'],
      "model 'adder' has no version in stage 'staging' — promote one with 'strata model version update adder VERSION --stage staging'",
    )

    const run = rows('runs').find((candidate) => candidate.name === name)!
    const v2 = rows('model_versions').find((version) => version.number === 2)!
    expect(run.model_version_id).toBe(v2.id)
    const artifactVersions = rows('artifact_versions').length

    const deleted = await ok(sandbox, ['model', 'version', 'delete', 'adder', 'production'])
    expect(deleted.stderr).toContain('Deleted adder v2.')
    expect(rows('model_versions').map((version) => version.number)).toEqual([1])
    // The run stays, no longer linked; its artifacts stay; the version's links and stage events go.
    expect(rows('runs').find((candidate) => candidate.id === run.id)).toMatchObject({
      model_version_id: null,
    })
    expect(rows('model_version_runs').filter((link) => link.model_version_id === v2.id)).toEqual([])
    expect(rows('model_version_artifacts').filter((link) => link.model_version_id === v2.id)).toEqual([])
    expect(rows('model_stage_events').filter((event) => event.model_version_id === v2.id)).toEqual([])
    expect(rows('artifact_versions')).toHaveLength(artifactVersions)
    expect((await ok(sandbox, ['pipeline', 'runs', 'describe', name])).stdout).toMatch(
      /^Status\s+completed$/m,
    )
    expect((await strata(['model', 'version', 'describe', 'adder', 'production'])).code).toBe(1)
  })

  it('refuses a model that does not exist, deletes one with versions linked to runs, and keeps the runs', async () => {
    await refused(
      ['model', 'delete', 'no-such-model'],
      "no model 'no-such-model' — list models with 'strata model list', or register it with 'strata model register no-such-model'",
    )
    const linkedRuns = rows('model_version_runs').map((link) => link.run_id)
    expect(linkedRuns.length).toBeGreaterThan(0)
    const runs = rows('runs').length
    const artifactVersions = rows('artifact_versions').length

    const deleted = await ok(sandbox, ['model', 'delete', 'adder'])
    expect(deleted.stderr).toContain("Deleted model 'adder'.")
    expect(rows('models').map((model) => model.name)).toEqual(['spare'])
    expect(rows('model_versions')).toEqual([])
    expect(rows('model_version_runs')).toEqual([])
    expect(rows('model_version_artifacts')).toEqual([])
    expect(rows('model_stage_events')).toEqual([])
    expect(rows('runs')).toHaveLength(runs)
    expect(rows('runs').every((run) => run.model_version_id === null)).toBe(true)
    expect(rows('artifact_versions')).toHaveLength(artifactVersions)
    const list = JSON.parse((await ok(sandbox, ['model', 'list', '--output', 'json'])).stdout)
    expect(list).toMatchObject({
      items: [{ name: 'spare', versions: 0 }],
      pagination: { page: 1, size: 20, totalPages: 1, total: 1 },
    })
  })
})
