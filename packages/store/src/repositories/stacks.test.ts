import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { SqliteStore } from '../sqlite/sqlite-store.js'
import { DEFAULT_STACK_NAME } from './stacks.js'

let configDir: string
let store: SqliteStore
let repos: SqliteStore
const local = { package: '@strata/local', version: '0.1.0' }

beforeEach(async () => {
  configDir = await mkdtemp(join(tmpdir(), 'strata-stacks-'))
  store = SqliteStore.open({ configDir, secretsKey: Buffer.alloc(32, 7) })
  repos = store
})
afterEach(async () => {
  await store.close()
  await rm(configDir, { recursive: true, force: true })
})

function register(type: 'orchestrator' | 'artifact_store' | 'experiment_tracker', name: string) {
  return repos.components.create({ type, name, flavor: 'local', config: {}, plugin: 'p', pluginVersion: '1' })
}

describe('StackRepository', async () => {
  it('creates the default stack once, with local components, and makes it active', async () => {
    const first = await repos.stacks.ensureDefault(local)
    expect(first.name).toBe(DEFAULT_STACK_NAME)
    expect(first.components.orchestrator).toMatchObject({
      name: 'default',
      flavor: 'local',
      plugin: '@strata/local',
    })
    expect(first.components.artifact_store).toMatchObject({
      name: 'default',
      flavor: 'local',
      pluginVersion: '0.1.0',
    })
    expect(await repos.settings.get('active_stack_id')).toBe(first.id)
    const before = store.dump()
    expect((await repos.stacks.ensureDefault(local)).id).toBe(first.id)
    expect(store.dump()).toEqual(before)
  })

  it('refuses to delete or rename the default stack and to delete the active one', async () => {
    const stack = await repos.stacks.ensureDefault(local)
    await expect(repos.stacks.delete(stack.id)).rejects.toThrow('the default stack cannot be deleted')
    await expect(repos.stacks.rename(stack.id, 'other')).rejects.toThrow(
      "the default stack cannot be renamed — copy it instead: 'strata stack copy default other'",
    )
    const copy = await repos.stacks.create({
      name: 'mine',
      components: {
        orchestrator: stack.components.orchestrator!.id,
        artifact_store: stack.components.artifact_store!.id,
      },
    })
    await repos.settings.set('active_stack_id', copy.id)
    await expect(repos.stacks.delete(copy.id)).rejects.toThrow(
      "stack 'mine' is the active stack and cannot be deleted — activate another one first",
    )
  })

  it('needs an orchestrator and an artifact store, and keeps them on update', async () => {
    const orchestrator = await register('orchestrator', 'o')
    await expect(
      repos.stacks.create({ name: 's', components: { orchestrator: orchestrator.id } }),
    ).rejects.toThrow("stack 's' needs an artifact store — pass --artifact-store NAME")
    const store1 = await register('artifact_store', 'a')
    const tracker = await register('experiment_tracker', 't')
    const stack = await repos.stacks.create({
      name: 's',
      components: {
        orchestrator: orchestrator.id,
        artifact_store: store1.id,
        experiment_tracker: tracker.id,
      },
    })
    expect(Object.keys(stack.components).sort()).toEqual([
      'artifact_store',
      'experiment_tracker',
      'orchestrator',
    ])
    const updated = await repos.stacks.updateComponents(stack.id, { experiment_tracker: null })
    expect(updated.components.experiment_tracker).toBeUndefined()
    await expect(repos.stacks.updateComponents(stack.id, { orchestrator: null })).rejects.toThrow(
      'needs an orchestrator',
    )
    await expect(repos.stacks.updateComponents(stack.id, { orchestrator: store1.id })).rejects.toThrow(
      `no orchestrator with id '${store1.id}'`,
    )
    await expect(repos.stacks.create({ name: 's', components: {} })).rejects.toThrow(
      "a stack named 's' already exists",
    )
    await expect(repos.stacks.create({ name: 'bad name', components: {} })).rejects.toThrow(
      "invalid stack name 'bad name'",
    )
  })

  it('finds stacks by name, id or unique id prefix; lists them sorted and paged', async () => {
    const o = (await register('orchestrator', 'o')).id
    const a = (await register('artifact_store', 'a')).id
    for (const name of ['b', 'c', 'a'])
      await repos.stacks.create({ name, components: { orchestrator: o, artifact_store: a } })
    const stack = await repos.stacks.get('b')
    expect((await repos.stacks.find(stack.id))?.name).toBe('b')
    expect((await repos.stacks.find(stack.id.slice(0, 8)))?.name).toBe('b')
    await expect(repos.stacks.get('zzz')).rejects.toThrow("no stack named 'zzz' — see 'strata stack list'")
    expect((await repos.stacks.list()).map((s) => s.name)).toEqual(['a', 'b', 'c'])
    expect((await repos.stacks.list({ sort: '-name', limit: 2 })).map((s) => s.name)).toEqual(['c', 'b'])
    expect((await repos.stacks.list({ sort: 'desc:name', limit: 2, offset: 2 })).map((s) => s.name)).toEqual([
      'a',
    ])
    await expect(repos.stacks.list({ sort: 'colour' })).rejects.toThrow(
      "cannot sort by 'colour' — use one of name, created, updated",
    )
    expect(await repos.stacks.count()).toBe(3)
  })
})

describe('ComponentRepository', async () => {
  it('registers, renames, updates and refuses to delete a component a stack uses', async () => {
    const o = await register('orchestrator', 'o')
    const a = await register('artifact_store', 'a')
    await repos.stacks.create({ name: 's', components: { orchestrator: o.id, artifact_store: a.id } })
    await expect(register('artifact_store', 'a')).rejects.toThrow("artifact store 'a' already exists")
    await expect(repos.components.delete(a.id)).rejects.toThrow(
      "artifact store 'a' is used by stack 's' — give it another artifact store ('strata stack update s --artifact-store OTHER') or delete it first",
    )
    const renamed = await repos.components.update(a.id, { name: 'b', config: { path: '/x' } })
    expect(renamed).toMatchObject({ name: 'b', config: { path: '/x' }, flavor: 'local' })
    expect((await repos.stacks.get('s')).components.artifact_store?.name).toBe('b')
    expect(await repos.components.stacksUsing(a.id)).toEqual(['s'])
    await expect(repos.components.get('artifact_store', 'nope')).rejects.toThrow(
      "no artifact store named 'nope' — see 'strata artifact-store list'",
    )
    const unused = await register('artifact_store', 'c')
    await repos.components.delete(unused.id)
    expect(await repos.components.find('artifact_store', 'c')).toBeUndefined()
    expect((await repos.components.list({ type: 'artifact_store' })).map((c) => c.name)).toEqual(['b'])
    expect(await repos.components.count({ type: 'orchestrator' })).toBe(1)
  })
})

describe('FlavorRepository', async () => {
  const flavor = {
    type: 'alerter' as const,
    name: 'pager',
    apiVersion: 1,
    description: 'Pages people',
    isLocal: false,
    isRemote: true,
    module: '/a/pager.js',
    configSchema: { type: 'object', properties: {} },
  }

  it('records custom flavors, refreshes them from the same module, refuses another module', async () => {
    await repos.flavors.register(flavor)
    await repos.flavors.register({ ...flavor, description: 'Pages people, v2' })
    expect(await repos.flavors.list('alerter')).toMatchObject([
      { name: 'pager', description: 'Pages people, v2', isRemote: true },
    ])
    await expect(repos.flavors.register({ ...flavor, module: '/b/pager.js' })).rejects.toThrow(
      "custom alerter flavor 'pager' is already registered from /a/pager.js",
    )
  })

  it('refuses to delete a flavor that components use, or one that is not custom', async () => {
    await repos.flavors.register(flavor)
    await repos.components.create({
      type: 'alerter',
      name: 'p',
      flavor: 'pager',
      config: {},
      plugin: '/a/pager.js',
      pluginVersion: 'custom',
    })
    await expect(repos.flavors.delete('alerter', 'pager')).rejects.toThrow(
      "custom alerter flavor 'pager' is used by 'p' — delete that component first ('strata alerter delete p')",
    )
    await expect(repos.flavors.delete('alerter', 'slack')).rejects.toThrow(
      "no custom alerter flavor named 'slack'",
    )
  })
})
