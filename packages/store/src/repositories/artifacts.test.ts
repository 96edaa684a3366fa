import { describe, expect, it } from 'vitest'
import type { NewArtifactVersion } from './artifacts.js'
import { useTempStore } from './temp-store.test-helpers.js'

const temp = useTempStore()
let prefixes = 0

function newVersion(name: string, fields: Partial<NewArtifactVersion> = {}): NewArtifactVersion {
  return {
    name,
    kind: 'data',
    artifactStoreUri: 'file:///store',
    prefix: `artifacts/${name}/${++prefixes}/`,
    materializer: 'strata.json',
    materializerVersion: 1,
    dataType: 'object',
    digest: `digest-${prefixes}`,
    size: 10,
    saveType: 'manual',
    ...fields,
  }
}

describe('ArtifactRepository', () => {
  it('numbers versions per name; recording the same id or prefix again returns the first record', async () => {
    const { artifacts } = temp.current()
    const first = await artifacts.createVersion(newVersion('data', { id: 'v-one' }))
    const second = await artifacts.createVersion(newVersion('data'))
    const other = await artifacts.createVersion(newVersion('model', { kind: 'model' }))
    expect([first.version, second.version, other.version]).toEqual([1, 2, 1])
    expect(first).toMatchObject({ id: 'v-one', name: 'data', kind: 'data', producerStepRunId: null })
    expect(await artifacts.createVersion(newVersion('data', { id: 'v-one' }))).toEqual(first)
    expect(await artifacts.createVersion({ ...newVersion('data'), prefix: second.prefix })).toEqual(second)
    expect((await artifacts.versions('data')).total).toBe(2)
  })

  it('finds versions by id, by number, or the newest; says what exists when one is missing', async () => {
    const { artifacts } = temp.current()
    const first = await artifacts.createVersion(newVersion('data'))
    const second = await artifacts.createVersion(newVersion('data'))
    expect((await artifacts.version('data')).id).toBe(second.id)
    expect((await artifacts.version('data', 1)).id).toBe(first.id)
    expect(await artifacts.versionById(first.id)).toEqual(first)
    expect(await artifacts.versionById('nope')).toBeUndefined()
    await expect(artifacts.requireVersionById('nope')).rejects.toThrow(
      "no artifact version 'nope' — list them with 'strata artifact list'",
    )
    await expect(artifacts.version('data', 7)).rejects.toThrow(
      "artifact 'data' has no version 7 (it has 2) — see 'strata artifact versions data'",
    )
    await expect(artifacts.version('nothing')).rejects.toThrow(
      "no artifact named 'nothing' — list artifacts with 'strata artifact list'",
    )
  })

  it('lists artifacts by name fragment and versions newest first, page by page', async () => {
    const { artifacts } = temp.current()
    for (const name of ['train-data', 'test-data', 'model']) await artifacts.createVersion(newVersion(name))
    await artifacts.createVersion(newVersion('model'))
    const all = await artifacts.list()
    expect(all.items.map((artifact) => [artifact.name, artifact.versions, artifact.latestVersion])).toEqual([
      ['model', 2, 2],
      ['test-data', 1, 1],
      ['train-data', 1, 1],
    ])
    const page = await artifacts.list({ name: 'data', size: 1, page: 2 })
    expect(page).toMatchObject({ total: 2, page: 2, size: 1 })
    expect(page.items.map((artifact) => artifact.name)).toEqual(['train-data'])
    expect((await artifacts.versions('model')).items.map((version) => version.version)).toEqual([2, 1])
    expect((await artifacts.versions('model', { size: 1, page: 2 })).items[0]?.version).toBe(1)
  })

  it('finds unreferenced step outputs and deletes a version, and its artifact with the last one', async () => {
    const store = temp.current()
    const { artifacts } = store
    const orphan = await artifacts.createVersion(newVersion('out', { saveType: 'step_output' }))
    const manual = await artifacts.createVersion(newVersion('saved'))
    const linked = await artifacts.createVersion(newVersion('linked', { saveType: 'step_output' }))
    const version = await store.models.createVersion('churn')
    await store.models.linkArtifact(version.id, linked.id, 'model')
    expect((await artifacts.unreferencedVersions()).map((record) => record.id)).toEqual([orphan.id])
    expect(await artifacts.prefixes('file:///store')).toEqual(
      new Set([orphan.prefix, manual.prefix, linked.prefix]),
    )
    expect(await artifacts.prefixes('s3://elsewhere')).toEqual(new Set())
    await artifacts.deleteVersion(orphan.id)
    expect(await artifacts.versionById(orphan.id)).toBeUndefined()
    expect((await artifacts.list()).items.map((artifact) => artifact.name)).toEqual(['linked', 'saved'])
  })

  it('numbers concurrent saves of one name 1..N, in call order', async () => {
    const { artifacts } = temp.current()
    const saved = await Promise.all(
      Array.from({ length: 5 }, () => artifacts.createVersion(newVersion('shared'))),
    )
    expect(saved.map((version) => version.version)).toEqual([1, 2, 3, 4, 5])
  })
})
