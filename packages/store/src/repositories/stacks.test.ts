import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { SqliteStore } from '../sqlite-store.js'
import { DEFAULT_STACK_NAME } from './stacks.js'
import { type StackRepositories, stackRepositories } from './stacks-store.js'

let configDir: string
let store: SqliteStore
let repos: StackRepositories
const local = { package: '@strata/local', version: '0.1.0' }

beforeEach(async () => {
  configDir = await mkdtemp(join(tmpdir(), 'strata-stacks-'))
  store = SqliteStore.open({ configDir })
  repos = stackRepositories(store, { secretsKey: Buffer.alloc(32, 7) })
})
afterEach(async () => {
  store.close()
  await rm(configDir, { recursive: true, force: true })
})

function register(type: 'orchestrator' | 'artifact_store' | 'experiment_tracker', name: string) {
  return repos.components.create({ type, name, flavor: 'local', config: {}, plugin: 'p', pluginVersion: '1' })
}

describe('StacksRepository', () => {
  it('creates the default stack once, with local components, and makes it active', () => {
    const first = repos.stacks.ensureDefault(local)
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
    expect(repos.settings.get('active_stack_id')).toBe(first.id)
    const before = store.dump()
    expect(repos.stacks.ensureDefault(local).id).toBe(first.id)
    expect(store.dump()).toEqual(before)
  })

  it('refuses to delete or rename the default stack and to delete the active one', () => {
    const stack = repos.stacks.ensureDefault(local)
    expect(() => repos.stacks.delete(stack.id)).toThrow('the default stack cannot be deleted')
    expect(() => repos.stacks.rename(stack.id, 'other')).toThrow(
      "the default stack cannot be renamed — copy it instead: 'strata stack copy default other'",
    )
    const copy = repos.stacks.create({
      name: 'mine',
      components: {
        orchestrator: stack.components.orchestrator!.id,
        artifact_store: stack.components.artifact_store!.id,
      },
    })
    repos.settings.set('active_stack_id', copy.id)
    expect(() => repos.stacks.delete(copy.id)).toThrow(
      "stack 'mine' is the active stack and cannot be deleted — activate another one first",
    )
  })

  it('needs an orchestrator and an artifact store, and keeps them on update', () => {
    const orchestrator = register('orchestrator', 'o')
    expect(() => repos.stacks.create({ name: 's', components: { orchestrator: orchestrator.id } })).toThrow(
      "stack 's' needs an artifact store — pass --artifact-store NAME",
    )
    const store1 = register('artifact_store', 'a')
    const tracker = register('experiment_tracker', 't')
    const stack = repos.stacks.create({
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
    const updated = repos.stacks.updateComponents(stack.id, { experiment_tracker: null })
    expect(updated.components.experiment_tracker).toBeUndefined()
    expect(() => repos.stacks.updateComponents(stack.id, { orchestrator: null })).toThrow(
      'needs an orchestrator',
    )
    expect(() => repos.stacks.updateComponents(stack.id, { orchestrator: store1.id })).toThrow(
      `no orchestrator with id '${store1.id}'`,
    )
    expect(() => repos.stacks.create({ name: 's', components: {} })).toThrow(
      "a stack named 's' already exists",
    )
    expect(() => repos.stacks.create({ name: 'bad name', components: {} })).toThrow(
      "invalid stack name 'bad name'",
    )
  })

  it('finds stacks by name, id or unique id prefix; lists them sorted and paged', () => {
    const o = register('orchestrator', 'o').id
    const a = register('artifact_store', 'a').id
    for (const name of ['b', 'c', 'a'])
      repos.stacks.create({ name, components: { orchestrator: o, artifact_store: a } })
    const stack = repos.stacks.get('b')
    expect(repos.stacks.find(stack.id)?.name).toBe('b')
    expect(repos.stacks.find(stack.id.slice(0, 8))?.name).toBe('b')
    expect(() => repos.stacks.get('zzz')).toThrow("no stack named 'zzz' — see 'strata stack list'")
    expect(repos.stacks.list().map((s) => s.name)).toEqual(['a', 'b', 'c'])
    expect(repos.stacks.list({ sort: '-name', limit: 2 }).map((s) => s.name)).toEqual(['c', 'b'])
    expect(repos.stacks.list({ sort: 'desc:name', limit: 2, offset: 2 }).map((s) => s.name)).toEqual(['a'])
    expect(() => repos.stacks.list({ sort: 'colour' })).toThrow(
      "cannot sort by 'colour' — use one of name, created, updated",
    )
    expect(repos.stacks.count()).toBe(3)
  })
})

describe('ComponentsRepository', () => {
  it('registers, renames, updates and refuses to delete a component a stack uses', () => {
    const o = register('orchestrator', 'o')
    const a = register('artifact_store', 'a')
    repos.stacks.create({ name: 's', components: { orchestrator: o.id, artifact_store: a.id } })
    expect(() => register('artifact_store', 'a')).toThrow("artifact store 'a' already exists")
    expect(() => repos.components.delete(a.id)).toThrow(
      "artifact store 'a' is used by stack 's' — give it another artifact store ('strata stack update s --artifact-store OTHER') or delete it first",
    )
    const renamed = repos.components.update(a.id, { name: 'b', config: { path: '/x' } })
    expect(renamed).toMatchObject({ name: 'b', config: { path: '/x' }, flavor: 'local' })
    expect(repos.stacks.get('s').components.artifact_store?.name).toBe('b')
    expect(repos.components.stacksUsing(a.id)).toEqual(['s'])
    expect(() => repos.components.get('artifact_store', 'nope')).toThrow(
      "no artifact store named 'nope' — see 'strata artifact-store list'",
    )
    const unused = register('artifact_store', 'c')
    repos.components.delete(unused.id)
    expect(repos.components.find('artifact_store', 'c')).toBeUndefined()
    expect(repos.components.list({ type: 'artifact_store' }).map((c) => c.name)).toEqual(['b'])
    expect(repos.components.count({ type: 'orchestrator' })).toBe(1)
  })
})

describe('FlavorsRepository', () => {
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

  it('records custom flavors, refreshes them from the same module, refuses another module', () => {
    repos.flavors.register(flavor)
    repos.flavors.register({ ...flavor, description: 'Pages people, v2' })
    expect(repos.flavors.list('alerter')).toMatchObject([
      { name: 'pager', description: 'Pages people, v2', isRemote: true },
    ])
    expect(() => repos.flavors.register({ ...flavor, module: '/b/pager.js' })).toThrow(
      "custom alerter flavor 'pager' is already registered from /a/pager.js",
    )
  })

  it('refuses to delete a flavor that components use, or one that is not custom', () => {
    repos.flavors.register(flavor)
    repos.components.create({
      type: 'alerter',
      name: 'p',
      flavor: 'pager',
      config: {},
      plugin: '/a/pager.js',
      pluginVersion: 'custom',
    })
    expect(() => repos.flavors.delete('alerter', 'pager')).toThrow(
      "custom alerter flavor 'pager' is used by 'p' — delete that component first ('strata alerter delete p')",
    )
    expect(() => repos.flavors.delete('alerter', 'slack')).toThrow("no custom alerter flavor named 'slack'")
  })
})
