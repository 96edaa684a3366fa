import { execFile } from 'node:child_process'
import { resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { inference, training } from '../../fixtures/model-pipelines.js'
import { type TempEnvironment, tempEnvironment } from '../test-support/temp-environment.js'
import { Client } from './client.js'

let environment: TempEnvironment
let client: Client
beforeEach(async () => {
  environment = await tempEnvironment()
  client = new Client(environment)
})
afterEach(() => environment.dispose())

function errorOf(fn: () => unknown): { code?: string; message: string } {
  try {
    fn()
  } catch (error) {
    return error as { code: string; message: string }
  }
  throw new Error('expected an error')
}

describe('model versions and stages', () => {
  it('keeps staging and production exclusive, archiving the holder only when forced', () => {
    const models = environment.repositories.models
    for (let index = 0; index < 4; index++) models.createVersion('churn')
    client.setModelStage('churn', 1, 'production')
    const refused = errorOf(() => client.setModelStage('churn', 2, 'production'))
    expect(refused).toMatchObject({
      code: 'MODEL_STAGE_OCCUPIED',
      message:
        "version 1 of model 'churn' is already in production — pass --force to archive it and promote version 2",
    })
    expect(client.getModelVersion('churn', 'production').number).toBe(1)

    client.setModelStage('churn', 2, 'production', { force: true })
    client.setModelStage('churn', 3, 'production', { force: true })
    client.setModelStage('churn', 4, 'staging')
    expect(client.getModelVersion('churn', 'production').number).toBe(3)
    expect(
      client.listModelVersions('churn', { stage: 'archived' }).items.map((version) => version.number),
    ).toEqual([2, 1])
    expect(client.getModelVersion('churn', 'staging').number).toBe(4)
    expect(client.getModelVersion('churn', 'latest').number).toBe(4)
    expect(
      client
        .getModel('churn')
        .stageEvents.map((event) => `v${event.number} ${event.from ?? '-'}→${event.to}`),
    ).toEqual([
      'v1 -→production',
      'v1 production→archived',
      'v2 -→production',
      'v2 production→archived',
      'v3 -→production',
      'v4 -→staging',
    ])
    expect(client.getModel('churn').stageEvents[0]!.actor).toBeTruthy()
  })

  it('names the model and the stage when a stage is empty', () => {
    environment.repositories.models.createVersion('churn')
    expect(errorOf(() => client.getModelVersion('churn', 'production'))).toMatchObject({
      code: 'MODEL_STAGE_EMPTY',
      message:
        "model 'churn' has no version in stage 'production' — promote one with 'strata model version update churn VERSION --stage production'",
    })
    expect(errorOf(() => client.getModelVersion('nope', 'latest')).code).toBe('MODEL_NOT_FOUND')
  })

  it('numbers versions created by concurrent processes 1..N without gaps', async () => {
    environment.repositories.models.register('shared')
    const script = `
      const { SqliteStore, ModelRepository } = await import(${JSON.stringify(resolve(import.meta.dirname, '../../../store/dist/index.js'))})
      const store = SqliteStore.open({ configDir: process.argv[1] })
      const models = new ModelRepository(store)
      for (let i = 0; i < 10; i++) models.createVersion('shared')
      store.close()
    `
    await Promise.all(
      Array.from({ length: 4 }, () =>
        promisify(execFile)(process.execPath, ['--input-type=module', '-e', script, environment.configDir]),
      ),
    )
    const numbers = client.listModelVersions('shared', { size: 100 }).items.map((version) => version.number)
    expect(numbers.sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, index) => index + 1))
  }, 60_000)
})

describe('runs and models', () => {
  it('creates a version per training run, links its artifacts and runs, and serves the production version', async () => {
    const first = await training.run({ environment, params: { slope: 2 }, output: false })
    const second = await training.run({ environment, params: { slope: 3 }, output: false })
    expect([first.status, second.status]).toEqual(['completed', 'completed'])

    const v1 = client.getModelVersion('slopes', 1)
    expect(v1.artifacts.map((link) => [link.name, link.kind])).toEqual([
      ['slope-model', 'model'],
      ['training-data', 'data'],
    ])
    expect(v1.runs.map((run) => run.name)).toEqual([first.name])
    expect(v1.metadata).toEqual({ quality: 2 })
    // describe_data was cached in the second run, yet its output belongs to version 2 as well.
    expect(client.getRun(second.id).steps.find((step) => step.name === 'describe_data')?.status).toBe(
      'cached',
    )
    expect(client.getModelVersion('slopes', 2).artifacts.map((link) => link.name)).toEqual([
      'slope-model',
      'training-data',
    ])
    expect(client.getRun(first.id).modelVersionId).toBe(v1.id)

    // Resolution happens when the run starts: without a production version nothing runs or is recorded.
    const before = client.listRuns().total
    await expect(inference.run({ environment, output: false })).rejects.toThrow(
      "model 'slopes' has no version in stage 'production' — promote one with 'strata model version update slopes VERSION --stage production'",
    )
    expect(client.listRuns().total).toBe(before)

    client.setModelStage('slopes', 1, 'production')
    const served = await inference.run({ environment, output: false })
    expect(await client.loadArtifact('slope-inference::predict::output')).toEqual({
      version: 1,
      prediction: 20,
    })
    expect(client.getRun(served.id).snapshot.steps[0]!.model).toMatchObject({
      name: 'slopes',
      version: 'production',
      number: 1,
    })
    expect(client.getModelVersion('slopes', 1).metadata).toEqual({ quality: 2, served: true })

    // Promoting another version changes what the next inference run uses.
    client.setModelStage('slopes', 2, 'production', { force: true })
    await inference.run({ environment, output: false })
    expect(await client.loadArtifact('slope-inference::predict::output')).toEqual({
      version: 2,
      prediction: 30,
    })
    expect(client.getModelVersion('slopes', 2).runs.map((run) => run.name)).toHaveLength(2)
    expect(await client.loadModelArtifact('slopes', 'production', 'slope-model')).toEqual({ slope: 3 })

    // Runs linked to a model version are protected from accidental deletion.
    expect(() => client.deleteRun(first.id)).toThrow(
      'is linked to a model version — deleting it loses that history; pass --force',
    )
    client.deleteRun(first.id, { force: true })
  })
})
