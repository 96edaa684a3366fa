import { describe, expect, it } from 'vitest'
import { DEFAULT_STACK_NAME } from './stacks.js'
import { useTempStore } from './temp-store.test-helpers.js'

const temp = useTempStore()
const local = { package: '@strata/local', version: '0.1.0' }

function register(type: 'orchestrator' | 'artifact_store' | 'experiment_tracker', name: string) {
  return temp
    .current()
    .components.create({ type, name, flavor: 'local', config: {}, plugin: 'p', pluginVersion: '1' })
}

describe('StackRepository', () => {
  it('creates the default stack once, with local components, and makes it active', async () => {
    const first = await temp.current().stacks.ensureDefault(local)
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
    expect(await temp.current().settings.get('active_stack_id')).toBe(first.id)
    const before = temp.current().dump()
    expect((await temp.current().stacks.ensureDefault(local)).id).toBe(first.id)
    expect(temp.current().dump()).toEqual(before)
  })

  it('refuses to delete or rename the default stack and to delete the active one', async () => {
    const stack = await temp.current().stacks.ensureDefault(local)
    await expect(temp.current().stacks.delete(stack.id)).rejects.toThrow(
      'the default stack cannot be deleted',
    )
    await expect(temp.current().stacks.rename(stack.id, 'other')).rejects.toThrow(
      "the default stack cannot be renamed — copy it instead: 'strata stack copy default other'",
    )
    const copy = await temp.current().stacks.create({
      name: 'mine',
      components: {
        orchestrator: stack.components.orchestrator!.id,
        artifact_store: stack.components.artifact_store!.id,
      },
    })
    await temp.current().settings.set('active_stack_id', copy.id)
    await expect(temp.current().stacks.delete(copy.id)).rejects.toThrow(
      "stack 'mine' is the active stack and cannot be deleted — activate another one first",
    )
  })

  it('needs an orchestrator and an artifact store, and keeps them on update', async () => {
    const orchestrator = await register('orchestrator', 'o')
    await expect(
      temp.current().stacks.create({ name: 's', components: { orchestrator: orchestrator.id } }),
    ).rejects.toThrow("stack 's' needs an artifact store — pass --artifact-store NAME")
    const store1 = await register('artifact_store', 'a')
    const tracker = await register('experiment_tracker', 't')
    const stack = await temp.current().stacks.create({
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
    const updated = await temp.current().stacks.updateComponents(stack.id, { experiment_tracker: null })
    expect(updated.components.experiment_tracker).toBeUndefined()
    await expect(temp.current().stacks.updateComponents(stack.id, { orchestrator: null })).rejects.toThrow(
      'needs an orchestrator',
    )
    await expect(
      temp.current().stacks.updateComponents(stack.id, { orchestrator: store1.id }),
    ).rejects.toThrow(`no orchestrator with id '${store1.id}'`)
    await expect(temp.current().stacks.create({ name: 's', components: {} })).rejects.toThrow(
      "a stack named 's' already exists",
    )
    await expect(temp.current().stacks.create({ name: 'bad name', components: {} })).rejects.toThrow(
      "invalid stack name 'bad name'",
    )
    // Quoted inertly and bounded: the control sequence escaped, a huge name cut.
    await expect(
      temp.current().stacks.create({ name: `\u001b]0;pwned\u0007${'x'.repeat(100_000)}`, components: {} }),
    ).rejects.toThrow(
      /^invalid stack name '\\u001b]0;pwned\\u0007x{53}…' \(100010 characters\) — use letters/,
    )
  })

  it('finds stacks by name, id or unique id prefix; lists them sorted and paged', async () => {
    const o = (await register('orchestrator', 'o')).id
    const a = (await register('artifact_store', 'a')).id
    for (const name of ['b', 'c', 'a'])
      await temp.current().stacks.create({ name, components: { orchestrator: o, artifact_store: a } })
    const stack = await temp.current().stacks.get('b')
    expect((await temp.current().stacks.find(stack.id))?.name).toBe('b')
    expect((await temp.current().stacks.find(stack.id.slice(0, 8)))?.name).toBe('b')
    await expect(temp.current().stacks.get('zzz')).rejects.toThrow(
      "no stack named 'zzz' — see 'strata stack list'",
    )
    expect((await temp.current().stacks.list()).map((s) => s.name)).toEqual(['a', 'b', 'c'])
    expect((await temp.current().stacks.list({ sort: '-name', limit: 2 })).map((s) => s.name)).toEqual([
      'c',
      'b',
    ])
    expect(
      (await temp.current().stacks.list({ sort: 'desc:name', limit: 2, offset: 2 })).map((s) => s.name),
    ).toEqual(['a'])
    await expect(temp.current().stacks.list({ sort: 'colour' })).rejects.toThrow(
      "cannot sort by 'colour' — use one of name, created, updated",
    )
    expect(await temp.current().stacks.count()).toBe(3)
  })
})
