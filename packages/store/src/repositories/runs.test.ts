import { afterEach, describe, expect, it, vi } from 'vitest'
import type { SqliteStore } from '../sqlite/sqlite-store.js'
import type { NewRun } from './runs.js'
import { useTempStore } from './temp-store.test-helpers.js'

const temp = useTempStore()
afterEach(() => {
  vi.useRealTimers()
})
const owner = { host: 'here', pid: 42, startedAt: '2026-01-01T00:00:00.000Z' }

function newRun(name: string, fields: Partial<NewRun> = {}): NewRun {
  return {
    name,
    pipelineName: 'training',
    stackName: 'default',
    artifactStoreUri: 'file:///store',
    snapshot: { steps: [name] },
    parameters: { rate: 0.1 },
    owner,
    leaseMs: 60_000,
    ...fields,
  }
}

/** An artifact version to link step runs to (the links point at real rows). */
async function artifactVersion(store: SqliteStore, name: string): Promise<string> {
  const version = await store.artifacts.createVersion({
    name,
    kind: 'data',
    artifactStoreUri: 'file:///store',
    prefix: `artifacts/${name}/${Math.random().toString(36).slice(2)}/`,
    materializer: 'strata.json',
    materializerVersion: 1,
    dataType: 'object',
    digest: 'd',
    size: 1,
    saveType: 'manual',
  })
  return version.id
}

describe('RunRepository', () => {
  it('records a run and finds it by id, name or unique id prefix, with its snapshot', async () => {
    const { runs } = temp.current()
    const run = await runs.create(newRun('first', { id: 'abcd1234-run' }))
    expect(run).toMatchObject({
      id: 'abcd1234-run',
      name: 'first',
      pipelineName: 'training',
      status: 'initializing',
      parameters: { rate: 0.1 },
      owner,
      leaseMs: 60_000,
      error: null,
      endedAt: null,
    })
    expect((await runs.find('first'))?.id).toBe(run.id)
    expect((await runs.find('abcd'))?.id).toBe(run.id)
    expect(await runs.find('abc')).toBeUndefined()
    await expect(runs.require('nope')).rejects.toThrow(
      "no pipeline run 'nope' — list runs with 'strata pipeline runs list'",
    )
    expect(await runs.snapshot(run.id)).toEqual({ steps: ['first'] })
    await runs.updateSnapshot(run.id, { steps: ['changed'] })
    expect(await runs.snapshot(run.id)).toEqual({ steps: ['changed'] })
    await expect(runs.snapshot('missing')).rejects.toMatchObject({ code: 'RUN_NOT_FOUND' })
    await expect(runs.create(newRun('first'))).rejects.toMatchObject({
      code: 'RUN_EXISTS',
      message:
        "a run named 'first' already exists — give this run another name (runName, in the run config or in run()), or leave runName out to get a new name each run",
    })
  })

  it('lists pipelines with their run counts, and runs page by page, filtered and sorted', async () => {
    const { runs } = temp.current()
    expect(await runs.ensurePipeline('training')).toBe(await runs.ensurePipeline('training'))
    for (const name of ['r1', 'r2', 'r3']) await runs.create(newRun(name))
    await runs.create(newRun('other', { pipelineName: 'inference' }))
    expect(await runs.listPipelines()).toMatchObject([
      { name: 'inference', runs: 1 },
      { name: 'training', runs: 3 },
    ])
    const first = await runs.list({ pipeline: 'training', size: 2 })
    expect(first).toMatchObject({ total: 3, page: 1, size: 2 })
    expect(first.items).toHaveLength(2)
    const second = await runs.list({ pipeline: 'training', size: 2, page: 2 })
    expect(second.items).toHaveLength(1)
    const newestFirst = [...first.items, ...second.items].map((run) => run.name)
    const oldestFirst = (await runs.list({ pipeline: 'training', sort: 'created_asc' })).items.map(
      (run) => run.name,
    )
    expect(oldestFirst).toEqual([...newestFirst].reverse())
    const r2 = await runs.require('r2')
    await runs.setStatus(r2.id, 'completed', { ended: true })
    expect((await runs.list({ status: 'completed' })).items.map((run) => run.name)).toEqual(['r2'])
    expect((await runs.active()).map((run) => run.name).sort()).toEqual(['other', 'r1', 'r3'])
    // A page far past the end is empty, however far: not an SQL error ("datatype mismatch" at 1e19).
    for (const far of [1e19, Number.MAX_SAFE_INTEGER, 2 ** 53 + 2]) {
      expect(await runs.list({ page: far, size: far })).toMatchObject({ items: [], total: 4 })
    }
  })

  it('sets, settles, abandons once and reopens runs', async () => {
    const { runs } = temp.current()
    const run = await runs.create(newRun('r'))
    await runs.setStatus(run.id, 'running')
    await runs.upsertStepRun(run.id, 'load', { status: 'completed' })
    await runs.upsertStepRun(run.id, 'train', { status: 'running' })
    expect(await runs.markAbandoned(run.id, 'its owner is gone')).toBe(true)
    expect(await runs.markAbandoned(run.id, 'again')).toBe(false)
    const abandoned = await runs.require(run.id)
    expect(abandoned).toMatchObject({ status: 'failed', error: 'its owner is gone' })
    expect(abandoned.endedAt).not.toBeNull()
    expect((await runs.stepRuns(run.id)).map((step) => [step.name, step.status, step.error])).toEqual(
      expect.arrayContaining([
        ['load', 'completed', null],
        ['train', 'failed', 'its owner is gone'],
      ]),
    )
    await runs.settle(run.id, 'completed', { error: null, endedAt: '2026-02-02T00:00:00.000Z' })
    expect(await runs.require(run.id)).toMatchObject({
      status: 'completed',
      error: null,
      endedAt: '2026-02-02T00:00:00.000Z',
    })
    const resumer = { host: 'there', pid: 7, startedAt: '2026-03-03T00:00:00.000Z' }
    await runs.reopen(run.id, resumer)
    expect(await runs.require(run.id)).toMatchObject({ status: 'running', owner: resumer, endedAt: null })
  })

  it('upserts step runs by run and name, changing only the fields given', async () => {
    const { runs } = temp.current()
    const run = await runs.create(newRun('r'))
    const id = await runs.upsertStepRun(run.id, 'train_2', { id: 'step-id', step: 'train' })
    expect(await runs.stepRun(run.id, 'train_2')).toMatchObject({
      id: 'step-id',
      step: 'train',
      status: 'initializing',
      attempts: 0,
    })
    expect(
      await runs.upsertStepRun(run.id, 'train_2', { id: 'ignored', status: 'running', attempts: 1 }),
    ).toBe(id)
    expect(await runs.upsertStepRun(run.id, 'train_2', {})).toBe(id)
    await runs.upsertStepRun(run.id, 'train_2', { cacheParts: { code: 'abc' }, logKey: 'logs.txt' })
    expect(await runs.stepRunById(id)).toMatchObject({
      step: 'train',
      status: 'running',
      attempts: 1,
      cacheParts: { code: 'abc' },
      logKey: 'logs.txt',
    })
  })

  it('links artifacts, finds the newest cache hit and the previous execution of a step', async () => {
    const store = temp.current()
    const { runs } = store
    const output = await artifactVersion(store, 'out')
    // Runs are ordered by when they were created (ISO milliseconds): the second a second later.
    vi.useFakeTimers({ toFake: ['Date'] })
    const first = await runs.create(newRun('first'))
    vi.setSystemTime(Date.now() + 1000)
    const second = await runs.create(newRun('second'))
    vi.useRealTimers()
    const earlier = await runs.upsertStepRun(first.id, 'train', {
      status: 'completed',
      cacheKey: 'key',
      cacheParts: { code: 'v1' },
      endedAt: '2026-01-01T00:00:01.000Z',
    })
    await runs.linkArtifact(earlier, 'output', 'model', output)
    const later = await runs.upsertStepRun(second.id, 'train', {
      status: 'completed',
      cacheKey: 'key',
      cacheParts: { code: 'v2' },
      endedAt: '2026-01-01T00:00:02.000Z',
    })
    await runs.linkArtifact(later, 'output', 'model', output)
    await runs.linkArtifact(later, 'input', 'data', output)
    expect(await runs.findCacheHit('key')).toEqual({
      stepRunId: later,
      runId: second.id,
      outputs: { model: output },
    })
    expect(await runs.findCacheHit('other')).toBeUndefined()
    expect(await runs.stepArtifacts(later, 'input')).toEqual({ data: output })
    const previous = await runs.previousStepRun((await runs.stepRunById(later))!)
    expect(previous?.id).toBe(earlier)
    expect(await runs.previousStepRun((await runs.stepRunById(earlier))!)).toBeUndefined()
  })

  it('keeps the latest metadata per key, and applies an event id only once', async () => {
    const { runs } = temp.current()
    const run = await runs.create(newRun('r'))
    await runs.addMetadata('run', run.id, { accuracy: 0.5, rows: 10 }, 'event-1')
    await runs.addMetadata('run', run.id, { accuracy: 0.5, rows: 10 }, 'event-1')
    await runs.addMetadata('run', run.id, { accuracy: 0.9 })
    expect(await runs.metadata('run', run.id)).toEqual({ accuracy: 0.9, rows: 10 })
    expect(await runs.metadata('step_run', run.id)).toEqual({})
  })

  it('deletes a run with its step runs and its model links', async () => {
    const store = temp.current()
    const { runs, models } = store
    const run = await runs.create(newRun('r'))
    await runs.upsertStepRun(run.id, 'train', {})
    const version = await models.createVersion('churn')
    await models.linkRun(version.id, run.id)
    expect(await models.runLinks(run.id)).toBe(1)
    await runs.delete(run.id)
    expect(await runs.find(run.id)).toBeUndefined()
    expect(await runs.stepRuns(run.id)).toEqual([])
    expect(await models.runLinks(run.id)).toBe(0)
    expect(await models.runs(version.id)).toEqual([])
  })
})
