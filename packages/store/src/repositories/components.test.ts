import { describe, expect, it } from 'vitest'
import { useTempStore } from './temp-store.test-helpers.js'

const store = useTempStore().current

function register(type: 'orchestrator' | 'artifact_store', name: string, flavor = 'local') {
  return store().components.create({ type, name, flavor, config: {}, plugin: 'p', pluginVersion: '1' })
}

describe('ComponentRepository', () => {
  it('registers, renames, updates and refuses to delete a component a stack uses', async () => {
    const o = await register('orchestrator', 'o')
    const a = await register('artifact_store', 'a')
    await store().stacks.create({ name: 's', components: { orchestrator: o.id, artifact_store: a.id } })
    await expect(register('artifact_store', 'a')).rejects.toThrow("artifact store 'a' already exists")
    await expect(store().components.delete(a.id)).rejects.toThrow(
      "artifact store 'a' is used by stack 's' — give it another artifact store ('strata stack update s --artifact-store OTHER') or delete it first",
    )
    const renamed = await store().components.update(a.id, { name: 'b', config: { path: '/x' } })
    expect(renamed).toMatchObject({ name: 'b', config: { path: '/x' }, flavor: 'local' })
    expect((await store().stacks.get('s')).components.artifact_store?.name).toBe('b')
    expect(await store().components.stacksUsing(a.id)).toEqual(['s'])
    await expect(store().components.get('artifact_store', 'nope')).rejects.toThrow(
      "no artifact store named 'nope' — see 'strata artifact-store list'",
    )
    const unused = await register('artifact_store', 'c')
    await store().components.delete(unused.id)
    expect(await store().components.find('artifact_store', 'c')).toBeUndefined()
    expect((await store().components.list({ type: 'artifact_store' })).map((c) => c.name)).toEqual(['b'])
    expect(await store().components.count({ type: 'orchestrator' })).toBe(1)
  })

  it('finds by name, id or unique id prefix; lists by flavor, sorted and paged; refuses a taken name', async () => {
    const first = await register('artifact_store', 'bucket', 's3')
    await register('artifact_store', 'disk')
    await register('artifact_store', 'archive', 's3')
    expect((await store().components.find('artifact_store', first.id))?.name).toBe('bucket')
    expect((await store().components.find('artifact_store', first.id.slice(0, 6)))?.name).toBe('bucket')
    expect(await store().components.find('orchestrator', 'bucket')).toBeUndefined()
    expect(
      (await store().components.list({ type: 'artifact_store', flavor: 's3' })).map((c) => c.name),
    ).toEqual(['archive', 'bucket'])
    expect(
      (await store().components.list({ type: 'artifact_store', sort: '-name', limit: 1, offset: 1 })).map(
        (c) => c.name,
      ),
    ).toEqual(['bucket'])
    expect(await store().components.count({ type: 'artifact_store', flavor: 's3' })).toBe(2)
    await expect(store().components.update(first.id, { name: 'disk' })).rejects.toThrow(
      "artifact store 'disk' already exists",
    )
    await expect(store().components.update('missing', { name: 'x' })).rejects.toMatchObject({
      code: 'COMPONENT_NOT_FOUND',
    })
    await expect(register('artifact_store', '-bad')).rejects.toThrow("invalid artifact store name '-bad'")
  })
})
