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

async function errorOf(fn: () => Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await fn()
  } catch (error) {
    return error as { code: string; message: string }
  }
  throw new Error('expected an error')
}

describe('model versions and stages', () => {
  it('keeps staging and production exclusive, archiving the holder only when forced', async () => {
    const models = environment.repositories.models
    for (let index = 0; index < 4; index++) await models.createVersion('churn')
    await client.setModelStage('churn', 1, 'production')
    const refused = await errorOf(() => client.setModelStage('churn', 2, 'production'))
    expect(refused).toMatchObject({
      code: 'MODEL_STAGE_OCCUPIED',
      message:
        "version 1 of model 'churn' is already in production — pass --force to archive it and promote version 2",
    })
    expect((await client.getModelVersion('churn', 'production')).number).toBe(1)

    await client.setModelStage('churn', 2, 'production', { force: true })
    await client.setModelStage('churn', 3, 'production', { force: true })
    await client.setModelStage('churn', 4, 'staging')
    expect((await client.getModelVersion('churn', 'production')).number).toBe(3)
    expect(
      (await client.listModelVersions('churn', { stage: 'archived' })).items.map((version) => version.number),
    ).toEqual([2, 1])
    expect((await client.getModelVersion('churn', 'staging')).number).toBe(4)
    expect((await client.getModelVersion('churn', 'latest')).number).toBe(4)
    expect(
      (await client.getModel('churn')).stageEvents.map(
        (event) => `v${event.number} ${event.from ?? '-'}→${event.to}`,
      ),
    ).toEqual([
      'v1 -→production',
      'v1 production→archived',
      'v2 -→production',
      'v2 production→archived',
      'v3 -→production',
      'v4 -→staging',
    ])
    expect((await client.getModel('churn')).stageEvents[0]!.actor).toBeTruthy()
  })

  it('names the model and the stage when a stage is empty', async () => {
    await environment.repositories.models.createVersion('churn')
    expect(await errorOf(() => client.getModelVersion('churn', 'production'))).toMatchObject({
      code: 'MODEL_STAGE_EMPTY',
      message:
        "model 'churn' has no version in stage 'production' — promote one with 'strata model version update churn VERSION --stage production'",
    })
    expect((await errorOf(() => client.getModelVersion('nope', 'latest'))).code).toBe('MODEL_NOT_FOUND')
  })

  it('numbers versions created by concurrent processes 1..N without gaps', async () => {
    await environment.repositories.models.register('shared')
    const script = `
      const { SqliteStore } = await import(${JSON.stringify(resolve(import.meta.dirname, '../../../store/dist/index.js'))})
      const store = SqliteStore.open({ configDir: process.argv[1] })
      for (let i = 0; i < 10; i++) await store.models.createVersion('shared')
      await store.close()
    `
    await Promise.all(
      Array.from({ length: 4 }, () =>
        promisify(execFile)(process.execPath, ['--input-type=module', '-e', script, environment.configDir]),
      ),
    )
    const numbers = (await client.listModelVersions('shared', { size: 100 })).items.map(
      (version) => version.number,
    )
    expect(numbers.sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, index) => index + 1))
  }, 60_000)
})

describe('runs and models', () => {
  it('creates a version per training run, links its artifacts and runs, and serves the production version', async () => {
    const first = await training.run({ environment, params: { slope: 2 }, output: false })
    const second = await training.run({ environment, params: { slope: 3 }, output: false })
    expect([first.status, second.status]).toEqual(['completed', 'completed'])

    const v1 = await client.getModelVersion('slopes', 1)
    expect(v1.artifacts.map((link) => [link.name, link.kind])).toEqual([
      ['slope-model', 'model'],
      ['training-data', 'data'],
    ])
    expect(v1.runs.map((run) => run.name)).toEqual([first.name])
    expect(v1.metadata).toEqual({ quality: 2 })
    // describe_data was cached in the second run, yet its output belongs to version 2 as well.
    expect((await client.getRun(second.id)).steps.find((step) => step.name === 'describe_data')?.status).toBe(
      'cached',
    )
    expect((await client.getModelVersion('slopes', 2)).artifacts.map((link) => link.name)).toEqual([
      'slope-model',
      'training-data',
    ])
    expect((await client.getRun(first.id)).modelVersionId).toBe(v1.id)

    // Resolution happens when the run starts: without a production version nothing runs or is recorded.
    const before = (await client.listRuns()).total
    await expect(inference.run({ environment, output: false })).rejects.toThrow(
      "model 'slopes' has no version in stage 'production' — promote one with 'strata model version update slopes VERSION --stage production'",
    )
    expect((await client.listRuns()).total).toBe(before)

    await client.setModelStage('slopes', 1, 'production')
    const served = await inference.run({ environment, output: false })
    expect(await client.loadArtifact('slope-inference::predict::output')).toEqual({
      version: 1,
      prediction: 20,
    })
    expect((await client.getRun(served.id)).snapshot.steps[0]!.model).toMatchObject({
      name: 'slopes',
      version: 'production',
      number: 1,
    })
    expect((await client.getModelVersion('slopes', 1)).metadata).toEqual({ quality: 2, served: true })

    // Promoting another version changes what the next inference run uses.
    await client.setModelStage('slopes', 2, 'production', { force: true })
    await inference.run({ environment, output: false })
    expect(await client.loadArtifact('slope-inference::predict::output')).toEqual({
      version: 2,
      prediction: 30,
    })
    expect((await client.getModelVersion('slopes', 2)).runs.map((run) => run.name)).toHaveLength(2)
    expect(await client.loadModelArtifact('slopes', 'production', 'slope-model')).toEqual({ slope: 3 })

    // Runs linked to a model version are protected from accidental deletion.
    await expect(client.deleteRun(first.id)).rejects.toThrow(
      'is linked to a model version — deleting it loses that history; pass --force',
    )
    await client.deleteRun(first.id, { force: true })
  })
})
