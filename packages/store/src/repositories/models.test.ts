import { describe, expect, it } from 'vitest'
import { useTempStore } from './temp-store.test-helpers.js'

const temp = useTempStore()
const actor = { actor: 'tester' }

describe('ModelRepository', () => {
  it('registers, finds, updates, renames and lists models', async () => {
    const { models } = temp.current()
    const churn = await models.register('churn', { description: 'Who leaves', tags: ['tabular'] })
    expect(churn).toMatchObject({
      name: 'churn',
      description: 'Who leaves',
      tags: ['tabular'],
      license: null,
    })
    await expect(models.register('churn')).rejects.toThrow(
      "model 'churn' already exists — change it with 'strata model update churn'",
    )
    expect((await models.ensure('churn')).id).toBe(churn.id)
    expect((await models.ensure('fraud')).name).toBe('fraud')
    await expect(models.require('nope')).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' })
    expect(await models.find('nope')).toBeUndefined()
    await expect(models.update('churn', { name: 'fraud' })).rejects.toThrow(
      "model 'fraud' already exists — pick another name",
    )
    const renamed = await models.update('churn', { name: 'attrition', license: 'MIT' })
    expect(renamed).toMatchObject({ id: churn.id, name: 'attrition', license: 'MIT', tags: ['tabular'] })
    await models.createVersion('attrition')
    await models.setStage('attrition', 1, 'production', actor)
    const page = await models.list({ size: 1 })
    expect(page).toMatchObject({ total: 2, size: 1 })
    expect(page.items).toMatchObject([{ name: 'attrition', versions: 1, production: 1 }])
  })

  it('refuses model names, version names and tags holding control characters, or empty', async () => {
    const { models } = temp.current()
    const invalid = (message: string) =>
      expect.objectContaining({ code: 'INVALID_NAME', message: expect.stringContaining(message) })
    await expect(models.register('\u001b]0;pwned\u0007')).rejects.toThrow(
      invalid(
        "invalid model name '\\u001b]0;pwned\\u0007': it contains the control character \\u001b (at 0)",
      ),
    )
    await expect(models.register('ok', { tags: ['a\u202eb'] })).rejects.toThrow(
      invalid("invalid tag 'a\\u202eb'"),
    )
    await models.register('churn')
    await expect(models.update('churn', { name: '' })).rejects.toThrow(
      invalid("invalid model name '': it is empty"),
    )
    await expect(models.createVersion('churn', { name: 'v\u009b' })).rejects.toThrow(
      invalid('invalid model version name'),
    )
    await models.createVersion('churn')
    await expect(models.updateVersion('churn', 1, { name: 'v\r' })).rejects.toThrow(
      invalid('invalid model version name'),
    )
    expect(await models.find('ok')).toBeUndefined()
    expect((await models.require('churn')).name).toBe('churn')
  })

  it('numbers versions per model, registers the model on first use, refuses a taken version name', async () => {
    const { models } = temp.current()
    const first = await models.createVersion('churn', { name: 'baseline', tags: ['a'] })
    const second = await models.createVersion('churn')
    expect([first.number, second.number]).toEqual([1, 2])
    expect(first).toMatchObject({ modelName: 'churn', name: 'baseline', stage: null, tags: ['a'] })
    await expect(models.createVersion('churn', { name: 'baseline' })).rejects.toThrow(
      "model 'churn' already has a version named 'baseline' — pick another name",
    )
    const concurrent = await Promise.all([1, 2, 3].map(() => models.createVersion('churn')))
    expect(concurrent.map((version) => version.number)).toEqual([3, 4, 5])
  })

  it('finds a version by number, name, stage or latest, and names what is missing', async () => {
    const { models } = temp.current()
    await models.createVersion('churn', { name: 'baseline' })
    const second = await models.createVersion('churn')
    expect((await models.version('churn', 1)).name).toBe('baseline')
    expect((await models.version('churn', '1')).name).toBe('baseline')
    expect((await models.version('churn', 'baseline')).number).toBe(1)
    expect((await models.version('churn', 'latest')).id).toBe(second.id)
    await expect(models.version('churn', 'production')).rejects.toThrow(
      "model 'churn' has no version in stage 'production' — promote one with 'strata model version update churn VERSION --stage production'",
    )
    await expect(models.version('churn', 9)).rejects.toThrow(
      "model 'churn' has no version '9' — see 'strata model version list churn'",
    )
    await models.register('empty')
    await expect(models.version('empty', 'latest')).rejects.toThrow(
      "model 'empty' has no versions yet — run a pipeline that declares model: { name: 'empty' }",
    )
    const updated = await models.updateVersion('churn', 2, { name: 'candidate', description: 'better' })
    expect(updated).toMatchObject({ number: 2, name: 'candidate', description: 'better' })
    expect((await models.versions('churn', { size: 1 })).items.map((version) => version.number)).toEqual([2])
  })

  it('keeps staging and production to one version each, archives the holder only when forced, and records every change', async () => {
    const { models } = temp.current()
    for (let index = 0; index < 3; index++) await models.createVersion('churn')
    await models.setStage('churn', 1, 'production', actor)
    await expect(models.setStage('churn', 2, 'production', actor)).rejects.toThrow(
      "version 1 of model 'churn' is already in production — pass --force to archive it and promote version 2",
    )
    await models.setStage('churn', 2, 'production', { ...actor, force: true })
    await models.setStage('churn', 3, 'staging', actor)
    await models.setStage('churn', 3, null, actor)
    expect((await models.versions('churn', { stage: 'archived' })).items.map((v) => v.number)).toEqual([1])
    expect(
      (await models.stageEvents('churn')).map((event) => `v${event.number} ${event.from}→${event.to}`),
    ).toEqual([
      'v1 null→production',
      'v1 production→archived',
      'v2 null→production',
      'v3 null→staging',
      'v3 staging→null',
    ])
    expect((await models.stageEvents('churn'))[0]?.actor).toBe('tester')
  })

  it('links artifacts and runs; deleting a version or a model unlinks its runs and keeps them', async () => {
    const store = temp.current()
    const { models, runs, artifacts } = store
    const version = await models.createVersion('churn')
    const run = await runs.create({
      name: 'r',
      pipelineName: 'training',
      stackName: 'default',
      artifactStoreUri: 'file:///store',
      snapshot: {},
      parameters: {},
      owner: { host: 'here', pid: 1, startedAt: '2026-01-01T00:00:00.000Z' },
      leaseMs: 60_000,
    })
    const saved = await artifacts.createVersion({
      name: 'classifier',
      kind: 'model',
      artifactStoreUri: 'file:///store',
      prefix: 'artifacts/classifier/1/',
      materializer: 'strata.json',
      materializerVersion: 1,
      dataType: 'object',
      digest: 'd',
      size: 1,
      saveType: 'step_output',
    })
    await models.linkArtifact(version.id, saved.id, 'data')
    await models.linkArtifact(version.id, saved.id, 'model')
    await models.linkRun(version.id, run.id)
    await models.linkRun(version.id, run.id)
    await runs.setModelVersion(run.id, version.id)
    expect(await models.artifacts(version.id)).toEqual([
      { artifactVersionId: saved.id, name: 'classifier', version: 1, kind: 'model' },
    ])
    expect((await models.runs(version.id)).map((linked) => linked.id)).toEqual([run.id])
    expect(await models.runLinks(run.id)).toBe(1)

    expect((await models.deleteVersion('churn', 1)).id).toBe(version.id)
    expect(await models.runLinks(run.id)).toBe(0)
    expect((await runs.require(run.id)).modelVersionId).toBeNull()
    expect(await artifacts.versionById(saved.id)).toBeDefined()

    const next = await models.createVersion('churn')
    await models.linkRun(next.id, run.id)
    await runs.setModelVersion(run.id, next.id)
    await models.delete('churn')
    expect(await models.find('churn')).toBeUndefined()
    expect((await runs.require(run.id)).modelVersionId).toBeNull()
  })
})
