import { utimes } from 'node:fs/promises'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { executions, fragile, hooks } from '../../fixtures/fragile-pipeline.js'
import { artifact } from '../dsl/handles.js'
import { input } from '../dsl/input.js'
import { pipeline } from '../dsl/pipeline.js'
import { step } from '../dsl/step.js'
import { type TempEnvironment, tempEnvironment } from '../test-support/temp-environment.js'
import { Client } from './client.js'

let environment: TempEnvironment
let client: Client
beforeEach(async () => {
  environment = await tempEnvironment()
  client = new Client(environment)
  for (const key of Object.keys(executions)) delete executions[key]
  hooks.length = 0
})
afterEach(async () => {
  delete process.env.STRATA_TEST_BREAK
  await environment.dispose()
})

describe('a failing run and its resume', () => {
  it('retries, runs the hook once, keeps the logs, and resumes without re-running completed steps', async () => {
    process.env.STRATA_TEST_BREAK = '1'
    const failed = await fragile.run({ environment, output: false })
    expect(failed.status).toBe('failed')
    expect(failed.steps).toEqual({ prepare: 'completed', flaky: 'failed', finish: 'skipped' })
    expect(failed.error).toMatch(
      /^step flaky failed — see 'strata pipeline runs logs .* --step flaky', fix it, then 'strata pipeline runs resume /,
    )
    expect(executions).toEqual({ prepare: 1, flaky: 2 })
    // The step's hook and the pipeline's, once each.
    expect(hooks).toEqual([
      'failure: the data source is down',
      `pipeline failure ${failed.name}: step flaky failed`,
    ])

    const details = await client.getRun(failed.name)
    expect(details.status).toBe('failed')
    expect(details.steps.find((s) => s.name === 'flaky')).toMatchObject({
      status: 'failed',
      attempts: 2,
      error: 'the data source is down',
    })
    const logs = await client.runLogs(failed.name, 'flaky')
    expect(logs).toContain('attempt 1 with 3 numbers')
    expect(logs).toContain('attempt 2 with 3 numbers')
    expect(logs).toContain('Error: the data source is down')

    delete process.env.STRATA_TEST_BREAK
    const resumed = await client.resumeRun(failed.name)
    expect(resumed.status).toBe('completed')
    expect(resumed.id).toBe(failed.id)
    expect(executions).toEqual({ prepare: 1, flaky: 3, finish: 1 })
    // Resuming to success runs the success hooks once; the failure hooks do not run again.
    expect(hooks).toEqual([
      'failure: the data source is down',
      `pipeline failure ${failed.name}: step flaky failed`,
      'success',
      `pipeline success ${failed.name}`,
    ])
    expect(await client.getRun(failed.id)).toMatchObject({ status: 'completed', error: null })
    await expect(client.resumeRun(failed.name)).rejects.toThrow('completed — there is nothing to resume')
    expect(hooks).toHaveLength(4)

    // A run served entirely from the cache succeeds too: its pipeline hook runs once.
    const cached = await fragile.run({ environment, output: false })
    expect(Object.values(cached.steps)).toEqual(['cached', 'cached', 'cached'])
    expect(hooks.slice(4)).toEqual([`pipeline success ${cached.name}`])
  })
})

describe('Client', () => {
  it('lists, describes, explains and deletes runs', async () => {
    const first = await fragile.run({ environment, output: false })
    const second = await fragile.run({ environment, output: false })
    expect((await client.listRuns()).items.map((run) => run.name)).toEqual([second.name, first.name])
    expect(await client.listRuns({ size: 1, page: 2 })).toMatchObject({
      total: 2,
      items: [{ name: first.name }],
    })
    expect((await client.listRuns({ pipeline: 'nope' })).total).toBe(0)
    expect((await client.listPipelines()).items).toMatchObject([{ name: 'fragile', runs: 2 }])
    expect((await client.explainCache(second.name, 'flaky')).reasons).toEqual([])
    await client.deleteRun(first.name)
    await expect(client.getRun(first.name)).rejects.toThrow(
      `no pipeline run '${first.name}' — list runs with 'strata pipeline runs list'`,
    )
  })

  it('saves, loads and registers artifacts outside pipelines, and uses them as inputs', async () => {
    const saved = await client.saveArtifact('numbers', [4, 5, 6])
    expect(saved).toMatchObject({ name: 'numbers', version: 1, saveType: 'manual' })
    expect(await client.loadArtifact('numbers')).toEqual([4, 5, 6])
    await client.saveArtifact('numbers', [7])
    expect(await client.loadArtifact('numbers', { version: 1 })).toEqual([4, 5, 6])

    const sum = step({ name: 'sum', inputs: { values: input<number[]>() } }, async ({ values }) =>
      values.reduce((a, b) => a + b, 0),
    )
    const fromArtifact = pipeline({ name: 'from-artifact' }, () => {
      sum({ values: artifact<number[]>('numbers', { version: 1 }) })
    })
    const run = await fromArtifact.run({ environment, output: false })
    expect(run.status).toBe('completed')
    const details = await client.getRun(run.id)
    expect(details.steps[0]!.inputs.values).toBe(saved.id)
    expect(await client.loadArtifact('from-artifact::sum::output')).toBe(15)

    await environment.artifactStore.write('imports/table/part-0.csv', 'a,b\n1,2\n')
    const registered = await client.registerArtifact('table', 'imports/table')
    expect(registered).toMatchObject({ saveType: 'preexisting', prefix: 'imports/table/', size: 8 })
    const loaded = (await client.loadArtifact<{ path: string }>('table')).path
    expect(loaded.endsWith('imports/table/')).toBe(true)
  })

  it('prunes unreferenced versions and orphaned prefixes, dry-run by default', async () => {
    const run = await fragile.run({ environment, output: false })
    const store = environment.artifactStore
    // A crashed write: bytes without a row, old enough not to be a write in progress.
    await store.write('artifacts/ghost/0000-crashed/data.json', '1')
    const old = new Date(Date.now() - 3_600_000)
    await utimes(store.localPath('artifacts/ghost/0000-crashed/data.json')!, old, old)
    // A fresh orphan: kept.
    await store.write('artifacts/ghost/1111-writing/data.json', '1')
    await client.deleteRun(run.id)

    const dry = await client.pruneArtifacts()
    expect(dry.dryRun).toBe(true)
    expect(dry.versions.map((version) => version.name).sort()).toEqual([
      'fragile::finish::output',
      'fragile::flaky::output',
      'fragile::prepare::output',
    ])
    expect(dry.orphanedPrefixes).toEqual(['artifacts/ghost/0000-crashed/'])
    expect(dry.notes).toEqual(['artifacts/ghost/1111-writing/ kept: written less than 10 minutes ago'])
    expect(await store.exists('artifacts/ghost/0000-crashed/data.json')).toBe(true)

    const done = await client.pruneArtifacts({ dryRun: false })
    expect(done.versions).toHaveLength(3)
    expect(await store.exists('artifacts/ghost/0000-crashed/data.json')).toBe(false)
    expect((await client.listArtifacts()).items).toEqual([])
    expect((await client.pruneArtifacts()).versions).toEqual([])
  })
})
