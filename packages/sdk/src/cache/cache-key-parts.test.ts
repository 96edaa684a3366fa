// Each part of a step's cache key besides code, parameters and upstream digests: changing it re-runs the
// step, and explain-cache names it. Real runs on the local stack.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Client } from '../client/client.js'
import { explainCache } from '../client/explain-cache.js'
import { artifact } from '../dsl/handles.js'
import { input } from '../dsl/input.js'
import { pipeline } from '../dsl/pipeline.js'
import { type ExecutionConfig, type OutputConfig, step } from '../dsl/step.js'
import { jsonMaterializer } from '../materializers/builtin.js'
import { defineMaterializer } from '../materializers/materializer.js'
import { openRunEnvironment } from '../run/run-environment.js'
import { type TempEnvironment, tempEnvironment } from '../test-support/temp-environment.js'

let environment: TempEnvironment
beforeAll(async () => {
  environment = await tempEnvironment()
})
afterAll(() => environment.dispose())

/**
 * One step in pipeline `name`, configured as asked. The step is named after the pipeline: steps with the
 * same name and key share the cache across pipelines, and each test starts from nothing.
 */
function emitting(
  name: string,
  options: { pipeline?: ExecutionConfig; step?: ExecutionConfig; output?: OutputConfig } = {},
) {
  const emit = step(
    {
      name: stepOf(name),
      ...options.step,
      ...(options.output ? { artifacts: { output: options.output } } : {}),
    },
    async () => ({ kind: 'point', x: 1, y: 2 }),
  )
  return pipeline({ name, ...options.pipeline }, () => {
    emit()
  })
}

async function emitState(
  subject: ReturnType<typeof emitting>,
  extra: Parameters<ReturnType<typeof emitting>['run']>[0] = {},
  on: typeof environment | Awaited<ReturnType<typeof openRunEnvironment>> = environment,
): Promise<{ state: string | undefined; run: string }> {
  const run = await subject.run({ environment: on, output: false, ...extra })
  expect(run.error).toBeUndefined()
  return { state: run.steps[stepOf(subject.name)], run: run.name }
}

function stepOf(pipelineName: string): string {
  return `emit_${pipelineName.replaceAll('-', '_')}`
}

/** What explain-cache says about the run's step (the pipeline's one step unless named). */
async function explain(run: string, stepName?: string): Promise<string[]> {
  const pipelineName = (await environment.repositories.runs.require(run)).pipelineName
  return (await explainCache(environment.repositories, run, stepName ?? stepOf(pipelineName))).reasons
}

describe('the cache key also covers', () => {
  it('cacheVersion', async () => {
    const subject = emitting('by-cache-version')
    expect((await emitState(subject)).state).toBe('completed')
    expect((await emitState(subject)).state).toBe('cached')
    const bumped = await emitState(subject, { cacheVersion: 'v2' })
    expect(bumped.state).toBe('completed')
    expect(await explain(bumped.run)).toEqual(['cacheVersion: (none) → v2'])
    expect((await emitState(subject, { cacheVersion: 'v2' })).state).toBe('cached')
  })

  it('the names of declared environment variables, not their values', async () => {
    expect((await emitState(emitting('by-env'))).state).toBe('completed')
    const declared = emitting('by-env', { pipeline: { env: ['MODEL_ENDPOINT'] } })
    process.env.MODEL_ENDPOINT = 'http://one'
    try {
      const first = await emitState(declared)
      expect(first.state).toBe('completed')
      expect(await explain(first.run)).toEqual(['env: (none) → MODEL_ENDPOINT'])
      process.env.MODEL_ENDPOINT = 'http://two'
      expect((await emitState(declared)).state).toBe('cached')
    } finally {
      delete process.env.MODEL_ENDPOINT
    }
  })

  it('the names of declared secrets', async () => {
    expect((await emitState(emitting('by-secrets', { step: { secrets: ['db'] } }))).state).toBe('completed')
    const more = await emitState(emitting('by-secrets', { step: { secrets: ['db', 'warehouse'] } }))
    expect(more.state).toBe('completed')
    expect(await explain(more.run)).toEqual(['secrets: db → db, warehouse'])
  })

  it('an explicit output materializer, with its version', async () => {
    expect((await emitState(emitting('by-materializer'))).state).toBe('completed')
    const explicit = await emitState(emitting('by-materializer', { output: { materializer: 'strata.json' } }))
    expect(explicit.state).toBe('completed')
    expect(await explain(explicit.run)).toEqual(["output: 'output' materializer automatic → strata.json@1"])
  })

  it('the versions of the materializers an automatic choice can pick: custom ones and the built-ins', async () => {
    const points = (version: number) =>
      defineMaterializer<{ kind: string }>({
        id: 'test.point',
        version,
        canSave: (value) => (value as { kind?: unknown })?.kind === 'point',
        dataType: () => 'point',
        save: (value, target) => target.write('point.json', JSON.stringify(value)),
        load: async (source) => JSON.parse(await source.readText('point.json')),
      })
    const first = await emitState(emitting('by-auto', { step: { materializers: [points(1)] } }))
    expect(first.state).toBe('completed')
    const { runs } = environment.repositories
    const record = (await runs.stepRun((await runs.require(first.run)).id, stepOf('by-auto')))!
    expect((record.cacheParts as { outputs: Record<string, string> }).outputs.output).toBe(
      'auto:test.point@1,strata.file@1,strata.directory@1,strata.string@1,strata.bytes@1,strata.typed-array@1,strata.json@1,strata.registered@1',
    )
    const bumped = await emitState(emitting('by-auto', { step: { materializers: [points(2)] } }))
    expect(bumped.state).toBe('completed')
    expect(await explain(bumped.run)).toEqual([
      "output: 'output' automatic materializers changed: test.point@1 → test.point@2",
    ])

    // A new SDK whose JSON materializer stores a new format: what it saved before is not reused.
    const plain = emitting('by-builtin')
    expect((await emitState(plain)).state).toBe('completed')
    const released = jsonMaterializer.version
    ;(jsonMaterializer as { version: number }).version = released + 1
    try {
      const upgraded = await emitState(plain)
      expect(upgraded.state).toBe('completed')
      expect(await explain(upgraded.run)).toEqual([
        `output: 'output' automatic materializers changed: strata.json@${released} → strata.json@${released + 1}`,
      ])
    } finally {
      ;(jsonMaterializer as { version: number }).version = released
    }
  })

  it('the artifact store', async () => {
    const subject = emitting('by-store')
    expect((await emitState(subject)).state).toBe('completed')
    // A second stack in the same store: the same orchestrator, another local artifact store.
    const { components, stacks } = environment.workspace.store
    const current = await stacks.get(environment.stackName)
    const otherStore = await components.create({
      type: 'artifact_store',
      name: 'elsewhere',
      flavor: 'local',
      config: {},
      plugin: '@strata/local',
      pluginVersion: '0.1.0',
    })
    await stacks.create({
      name: 'elsewhere',
      components: { orchestrator: current.components.orchestrator!.id, artifact_store: otherStore.id },
    })
    const elsewhere = await openRunEnvironment({
      configDir: environment.configDir,
      projectRoot: environment.projectRoot,
      stack: 'elsewhere',
    })
    try {
      const moved = await emitState(subject, {}, elsewhere)
      expect(moved.state).toBe('completed')
      expect(await explain(moved.run)).toEqual([
        `artifact store: ${environment.artifactStore.uri} → ${elsewhere.artifactStore.uri}`,
      ])
      expect((await emitState(subject, {}, elsewhere)).state).toBe('cached')
    } finally {
      await elsewhere.close()
    }
  })

  it('the content digest of an artifact(name, { version }) input, so a version with other content re-runs', async () => {
    const client = new Client(environment)
    await client.saveArtifact('numbers', [1, 2, 3])
    await client.saveArtifact('numbers', [4, 5, 6])
    await client.saveArtifact('numbers', [1, 2, 3])
    const sum = step({ name: 'sum', inputs: { values: input<number[]>() } }, async ({ values }) =>
      values.reduce((total, value) => total + value, 0),
    )
    const summing = (version: number) =>
      pipeline({ name: 'from-numbers' }, () => {
        sum({ values: artifact<number[]>('numbers', { version }) })
      })
    const states = async (version: number) => {
      const run = await summing(version).run({ environment, output: false })
      return { state: run.steps.sum, run: run.name }
    }
    expect((await states(1)).state).toBe('completed')
    expect((await states(1)).state).toBe('cached')
    const other = await states(2)
    expect(other.state).toBe('completed')
    expect(await explain(other.run, 'sum')).toEqual([
      expect.stringMatching(/^input: 'values' content changed \(\w{12} → \w{12}\)$/),
    ])
    // Version 3 holds the same bytes as version 1: the same digest, so the cache serves it.
    expect((await states(3)).state).toBe('cached')
  })
})
