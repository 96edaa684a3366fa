import { describe, expect, it } from 'vitest'
import { useTempStore } from './temp-store.test-helpers.js'

const store = useTempStore().current

describe('SettingsRepository', () => {
  it('sets, replaces, reads and deletes string settings', async () => {
    const { settings } = store()
    expect(await settings.get('active_stack_id')).toBeUndefined()
    await settings.set('active_stack_id', 'one')
    await settings.set('active_stack_id', 'two')
    expect(await settings.get('active_stack_id')).toBe('two')
    expect(await settings.delete('active_stack_id')).toBe(true)
    expect(await settings.delete('active_stack_id')).toBe(false)
    expect(await settings.get('active_stack_id')).toBeUndefined()
  })
})
