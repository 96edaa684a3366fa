import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { load, training } from '../../fixtures/example-pipeline.js'
import { pipeline } from '../index.js'
import { tempEnvironment } from '../test-support/temp-environment.js'

let environment: Awaited<ReturnType<typeof tempEnvironment>>
beforeEach(async () => {
  environment = await tempEnvironment()
})
afterEach(async () => {
  await environment.dispose()
})

describe('running the example pipeline in-process', () => {
  it('counts one step in the singular', async () => {
    const single = pipeline({ name: 'single' }, () => {
      load()
    })
    const lines: string[] = []
    await single.run({ environment, output: (line) => lines.push(line) })
    expect(lines).toContainEqual(expect.stringMatching(/^run single-\S+: 1 step on stack 'default'$/))
    await single.run({ environment, output: (line) => lines.push(line) })
    expect(lines).toContain('the step is cached — the orchestrator was not called')
  })

  it('compiles to a diamond in topological order', () => {
    const compiled = training.compile({ params: { rows: 8 } })
    expect(compiled.steps.map((step) => [step.id, step.upstream])).toEqual([
      ['load', []],
      ['split', ['load']],
      ['fit', ['split']],
      ['summarize', ['split']],
      ['evaluate', ['fit', 'summarize', 'split']],
    ])
    expect(compiled.steps[0]?.parameters).toEqual({ rows: 8, slope: 2 })
  })

  it('runs every step, records artifacts, then a second run is fully cached', async () => {
    const lines: string[] = []
    const first = await training.run({ environment, output: (line) => lines.push(line) })
    expect(first.error).toBeUndefined()
    expect(first.status).toBe('completed')
    expect(first.steps).toEqual({
      load: 'completed',
      split: 'completed',
      fit: 'completed',
      summarize: 'completed',
      evaluate: 'completed',
    })
    expect(lines).toContain('[load] loading 20 rows')

    const { runs, artifacts } = environment.repositories
    const evaluateRun = (await runs.stepRun(first.id, 'evaluate'))!
    const result = await artifacts.requireVersionById(
      (await runs.stepArtifacts(evaluateRun.id, 'output')).output!,
    )
    expect(result).toMatchObject({
      name: 'example-training::evaluate::output',
      version: 1,
      materializer: 'strata.json',
    })
    expect(JSON.parse(await environment.artifactStore.readText(`${result.prefix}data.json`))).toEqual({
      baseline: expect.any(Number),
      error: 0,
    })
    expect(await artifacts.version('line-model')).toMatchObject({ kind: 'model', version: 1 })
    expect(await runs.metadata('step_run', evaluateRun.id)).toEqual({ meanAbsoluteError: 0 })

    const second = await training.run({ environment, output: (line) => lines.push(line) })
    expect(second.error).toBeUndefined()
    expect(second.status).toBe('completed')
    expect(Object.values(second.steps)).toEqual(['cached', 'cached', 'cached', 'cached', 'cached'])
    expect(lines).toContain('all 5 steps cached — the orchestrator was not called')
    expect((await runs.stepRun(second.id, 'fit'))?.cachedFrom).toBe((await runs.stepRun(first.id, 'fit'))?.id)

    // A different parameter re-runs load and, through changed digests, everything after it.
    const third = await training.run({ environment, params: { rows: 24 }, output: false })
    expect(Object.values(third.steps)).toEqual([
      'completed',
      'completed',
      'completed',
      'completed',
      'completed',
    ])
    expect((await artifacts.version('line-model')).version).toBe(2)
  })
})

describe('running the example pipeline with a process per step', () => {
  it('runs each step as its own process with only the artifact store, then caches', async () => {
    const settings = { 'orchestrator.local': { isolation: 'process' } }
    const lines: string[] = []
    const first = await training.run({ environment, settings, output: (line) => lines.push(line) })
    expect((await environment.repositories.runs.stepRun(first.id, 'load'))?.error ?? null).toBeNull()
    expect(first.error).toBeUndefined()
    expect(first.steps).toEqual({
      load: 'completed',
      split: 'completed',
      fit: 'completed',
      summarize: 'completed',
      evaluate: 'completed',
    })
    expect(lines).toContain('step load: running (own process)')
    const { runs, artifacts } = environment.repositories
    // What the step processes journaled was ingested: artifacts, metadata and logs.
    expect((await artifacts.version('line-model')).version).toBe(1)
    const evaluateRun = (await runs.stepRun(first.id, 'evaluate'))!
    expect(await runs.metadata('step_run', evaluateRun.id)).toEqual({ meanAbsoluteError: 0 })
    const loadRun = (await runs.stepRun(first.id, 'load'))!
    expect(await environment.artifactStore.readText(loadRun.logKey!)).toContain('loading 20 rows')

    const second = await training.run({ environment, settings, output: false })
    expect(Object.values(second.steps)).toEqual(['cached', 'cached', 'cached', 'cached', 'cached'])
  }, 60_000)
})
