import { describe, expect, it } from 'vitest'
import { useTempStore } from './temp-store.test-helpers.js'

const store = useTempStore().current

describe('FlavorRepository', () => {
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
    await store().flavors.register(flavor)
    await store().flavors.register({ ...flavor, description: 'Pages people, v2' })
    expect(await store().flavors.list('alerter')).toMatchObject([
      { name: 'pager', description: 'Pages people, v2', isRemote: true },
    ])
    await expect(store().flavors.register({ ...flavor, module: '/b/pager.js' })).rejects.toThrow(
      "custom alerter flavor 'pager' is already registered from /a/pager.js",
    )
  })

  it('refuses to delete a flavor that components use, or one that is not custom', async () => {
    await store().flavors.register(flavor)
    await store().components.create({
      type: 'alerter',
      name: 'p',
      flavor: 'pager',
      config: {},
      plugin: '/a/pager.js',
      pluginVersion: 'custom',
    })
    await expect(store().flavors.delete('alerter', 'pager')).rejects.toThrow(
      "custom alerter flavor 'pager' is used by 'p' — delete that component first ('strata alerter delete p')",
    )
    await expect(store().flavors.delete('alerter', 'slack')).rejects.toThrow(
      "no custom alerter flavor named 'slack'",
    )
  })

  it('keeps the schemas, finds one flavor, lists every type sorted, and forgets an unused one', async () => {
    const settingsSchema = { type: 'object', properties: { cpu: { type: 'string' } } }
    const recorded = await store().flavors.register({ ...flavor, settingsSchema })
    expect(recorded).toMatchObject({ ...flavor, settingsSchema })
    expect(recorded.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T/)
    await store().flavors.register({ ...flavor, type: 'annotator', name: 'labels', module: '/a/labels.js' })
    expect((await store().flavors.list()).map((entry) => `${entry.type}/${entry.name}`)).toEqual([
      'alerter/pager',
      'annotator/labels',
    ])
    expect(await store().flavors.find('alerter', 'slack')).toBeUndefined()
    await store().flavors.delete('alerter', 'pager')
    expect(await store().flavors.find('alerter', 'pager')).toBeUndefined()
  })
})
