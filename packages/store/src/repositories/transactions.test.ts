import { describe, expect, it } from 'vitest'
import { useTempStore } from './temp-store.test-helpers.js'

const temp = useTempStore()

/** A promise and the function that resolves it: lets a test hold a transaction open. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open = () => {}
  const opened = new Promise<void>((resolve) => {
    open = resolve
  })
  return { opened, open }
}

describe('store.transaction', () => {
  it('commits everything done through tx, or nothing when the function throws', async () => {
    const store = temp.current()
    await store.transaction(async (tx) => {
      await tx.settings.set('a', '1')
      await tx.settings.set('b', '2')
    })
    const before = store.dump()
    await expect(
      store.transaction(async (tx) => {
        await tx.settings.set('c', '3')
        await tx.models.register('m')
        throw new Error('boom')
      }),
    ).rejects.toThrow('boom')
    expect(store.dump()).toEqual(before)
    expect(await store.settings.get('a')).toBe('1')
    expect(await store.settings.get('c')).toBeUndefined()
  })

  it('serialises two concurrent transactions: the second starts after the first committed', async () => {
    const store = temp.current()
    const events: string[] = []
    const hold = gate()
    const first = store.transaction(async (tx) => {
      events.push('first: begin')
      await tx.settings.set('first', '1')
      await hold.opened
      await tx.settings.set('first', '2')
      events.push('first: end')
    })
    const second = store.transaction(async (tx) => {
      events.push('second: begin')
      // It sees the first transaction's final write, committed.
      events.push(`second: read first=${await tx.settings.get('first')}`)
      await tx.settings.set('second', '1')
      events.push('second: end')
    })
    // A call on the store outside any transaction waits for both, in call order.
    const read = store.settings.get('second').then((value) => events.push(`store: read second=${value}`))
    await new Promise((resolve) => setImmediate(resolve))
    expect(events).toEqual(['first: begin'])
    hold.open()
    await Promise.all([first, second, read])
    expect(events).toEqual([
      'first: begin',
      'first: end',
      'second: begin',
      'second: read first=2',
      'second: end',
      'store: read second=1',
    ])
  })

  it('rolls back only the transaction that failed; the one queued behind it commits', async () => {
    const store = temp.current()
    const hold = gate()
    const failing = store.transaction(async (tx) => {
      await tx.settings.set('failing', '1')
      await hold.opened
      throw new Error('the first fails')
    })
    const queued = store.transaction(async (tx) => {
      await tx.settings.set('queued', '1')
      return 'committed'
    })
    hold.open()
    await expect(failing).rejects.toThrow('the first fails')
    expect(await queued).toBe('committed')
    expect(await store.settings.get('failing')).toBeUndefined()
    expect(await store.settings.get('queued')).toBe('1')
  })

  it('makes a nested transaction a savepoint: its failure rolls back only its own work', async () => {
    const store = temp.current()
    await store.transaction(async (tx) => {
      await tx.settings.set('outer', '1')
      await expect(
        tx.transaction(async (inner) => {
          await inner.settings.set('inner', '1')
          throw new Error('inner fails')
        }),
      ).rejects.toThrow('inner fails')
      await tx.transaction((inner) => inner.settings.set('kept', '1'))
    })
    expect(await store.settings.get('outer')).toBe('1')
    expect(await store.settings.get('inner')).toBeUndefined()
    expect(await store.settings.get('kept')).toBe('1')
  })

  it('rolls back a committed savepoint with its outer transaction', async () => {
    const store = temp.current()
    await expect(
      store.transaction(async (tx) => {
        await tx.transaction((inner) => inner.settings.set('inner', '1'))
        throw new Error('outer fails')
      }),
    ).rejects.toThrow('outer fails')
    expect(await store.settings.get('inner')).toBeUndefined()
  })

  it('finishes calls on tx still pending when the function returns, before the commit', async () => {
    const store = temp.current()
    let pending: Promise<void> | undefined
    await store.transaction((tx) => {
      pending = tx.settings.set('late', '1')
    })
    await pending
    expect(await store.settings.get('late')).toBe('1')
  })

  it('refuses a store call made inside a transaction instead of waiting for it forever', async () => {
    const store = temp.current()
    await expect(
      store.transaction(async (tx) => {
        await tx.settings.set('a', '1')
        await store.settings.get('a')
      }),
    ).rejects.toMatchObject({
      code: 'STORE_CALL_IN_TRANSACTION',
      message: expect.stringContaining('use tx (tx.runs, tx.transaction(...)), not the store'),
    })
    await expect(store.transaction((tx) => tx.transaction(() => tx.settings.get('a')))).rejects.toMatchObject(
      { code: 'STORE_CALL_IN_TRANSACTION' },
    )
    expect(await store.settings.get('a')).toBeUndefined()
  })

  it('refuses calls on a transaction after it ended', async () => {
    const store = temp.current()
    const tx = await store.transaction((tx) => tx)
    await expect(tx.settings.get('a')).rejects.toMatchObject({ code: 'STORE_TRANSACTION_ENDED' })
  })

  it('closes once the open transaction has committed', async () => {
    const store = temp.current()
    const hold = gate()
    const open = store.transaction(async (tx) => {
      await hold.opened
      await tx.settings.set('a', '1')
    })
    const closed = store.close()
    hold.open()
    await Promise.all([open, closed])
    expect(() => store.db.prepare('SELECT 1')).toThrow(/not open/)
  })
})
