import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { ArtifactBody, ArtifactCallOptions, ArtifactStoreV1 } from './artifact-store.js'
import { ArtifactStoreHost } from './artifact-store-host.js'

const BOUND_MS = 1_000

/** A store whose calls do what each test says; every call records the signal it got. */
function fakeStore(overrides: Partial<ArtifactStoreV1>): { store: ArtifactStoreV1; signals: AbortSignal[] } {
  const signals: AbortSignal[] = []
  const never = (options?: ArtifactCallOptions) => {
    if (options?.signal) signals.push(options.signal)
    return new Promise<never>(() => {})
  }
  const store: ArtifactStoreV1 = {
    apiVersion: 1,
    uri: 'fake://store',
    write: async (_key, _body, options) => never(options),
    read: async (_key, options) => never(options),
    stat: async (_key, options) => never(options),
    list: async (_prefix, options) => never(options),
    delete: async (_key, options) => never(options),
    deletePrefix: async (_prefix, options) => never(options),
    ...overrides,
  }
  return { store, signals }
}

const host = (store: ArtifactStoreV1) =>
  new ArtifactStoreHost(store, { name: 'fake', flavor: 'fake', timeoutMs: BOUND_MS })

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

/** Settles `promise` after moving the clock by `ms`. */
async function settledAfter<T>(ms: number, promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  const settled = promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  )
  await vi.advanceTimersByTimeAsync(ms)
  return settled
}

describe('every artifact store call has a bound', () => {
  it('fails a call that never answers with ARTIFACT_STORE_TIMEOUT naming the operation, key and bound', async () => {
    const { store, signals } = fakeStore({})
    for (const [operation, call] of [
      ['stat', (h: ArtifactStoreHost) => h.stat('a/b')],
      ['list', (h: ArtifactStoreHost) => h.list('a/')],
      ['write', (h: ArtifactStoreHost) => h.write('a/b', 'x')],
      ['read', (h: ArtifactStoreHost) => h.read('a/b')],
      ['deletePrefix', (h: ArtifactStoreHost) => h.deletePrefix('a/')],
    ] as const) {
      let settled = false
      const pending = call(host(store)).finally(() => {
        settled = true
      })
      // Just short of the bound, the call still waits.
      await vi.advanceTimersByTimeAsync(BOUND_MS - 1)
      expect(settled).toBe(false)
      const { error } = await settledAfter<unknown>(1, pending)
      expect(error).toMatchObject({
        code: 'ARTIFACT_STORE_TIMEOUT',
        details: { operation, timeoutMs: BOUND_MS },
      })
      expect((error as Error).message).toContain(`${operation} 'a/`)
      expect((error as Error).message).toContain('made no progress for 1 s (its bound)')
    }
    // The store was told to give up too.
    expect(signals.every((signal) => signal.aborted)).toBe(true)
  })

  it('fails a read stream that stalls, but not one whose consumer takes its time', async () => {
    let release: (() => void) | undefined
    const { store } = fakeStore({
      read: async () =>
        (async function* () {
          yield Buffer.from('one')
          yield Buffer.from('two')
          await new Promise<void>((resolve) => {
            release = resolve
          })
          yield Buffer.from('three')
        })(),
    })
    const iterator = (await host(store).read('k'))[Symbol.asyncIterator]()
    expect((await iterator.next()).value.toString()).toBe('one')
    // The consumer spends three bounds on its chunk: not the store's time.
    await vi.advanceTimersByTimeAsync(BOUND_MS * 3)
    expect((await iterator.next()).value.toString()).toBe('two')
    const { error } = await settledAfter(BOUND_MS, iterator.next())
    expect(error).toMatchObject({ code: 'ARTIFACT_STORE_TIMEOUT', details: { operation: 'read', key: 'k' } })
    release?.()
  })

  it('lets a slow producer feed a write, and fails a store that stops taking the body', async () => {
    const taken: string[] = []
    const consuming = fakeStore({
      write: async (_key, body: ArtifactBody) => {
        for await (const chunk of body as AsyncIterable<Uint8Array>) taken.push(Buffer.from(chunk).toString())
        return { size: taken.length }
      },
    })
    async function* slowSource() {
      yield Buffer.from('a')
      await new Promise((resolve) => setTimeout(resolve, BOUND_MS * 5))
      yield Buffer.from('b')
    }
    const { value, error } = await settledAfter(BOUND_MS * 5, host(consuming.store).write('k', slowSource()))
    expect(error).toBeUndefined()
    expect(value).toEqual({ size: 2 })

    const stalling = fakeStore({
      write: async (_key, body: ArtifactBody, options) => {
        for await (const _ of body as AsyncIterable<Uint8Array>) {
          // Takes one chunk, then hangs (a network that stopped moving).
          return new Promise<never>((_, reject) =>
            options?.signal?.addEventListener('abort', () => reject(options.signal?.reason)),
          )
        }
        return { size: 0 }
      },
    })
    const stalled = await settledAfter(
      BOUND_MS,
      host(stalling.store).write(
        'k',
        (async function* () {
          yield Buffer.from('a')
        })(),
      ),
    )
    expect(stalled.error).toMatchObject({ code: 'ARTIFACT_STORE_TIMEOUT', details: { operation: 'write' } })
  })

  it('bounds verify() by its own, shorter bound', async () => {
    const { store } = fakeStore({ verify: () => new Promise<never>(() => {}) })
    const checked = new ArtifactStoreHost(store, { name: 'fake', flavor: 'fake', verifyTimeoutMs: 500 })
    const { error } = await settledAfter(500, checked.verify())
    expect(error).toMatchObject({
      code: 'ARTIFACT_STORE_TIMEOUT',
      details: { operation: 'verify', timeoutMs: 500 },
    })
  })
})

describe('leftovers', () => {
  it('are none for a store without the capability, and passed through for one with it', async () => {
    vi.useRealTimers()
    const bare = fakeStore({})
    const none: unknown[] = []
    for await (const leftover of host(bare.store).leftovers()) none.push(leftover)
    expect(none).toEqual([])

    const removed: string[] = []
    const leftover = { key: 'a/.strata-tmp-x', size: 3, modifiedAt: new Date(0), writer: 'gone' as const }
    const capable = fakeStore({
      leftovers: async function* () {
        yield leftover
      },
      removeLeftover: async (key) => {
        removed.push(key)
      },
    })
    const found: unknown[] = []
    for await (const item of host(capable.store).leftovers()) found.push(item)
    expect(found).toEqual([leftover])
    await host(capable.store).removeLeftover(leftover.key)
    expect(removed).toEqual([leftover.key])
  })
})

describe('readBytes', () => {
  const chunks = [Buffer.from('ab'), Buffer.from('cd')]
  async function* stream(): AsyncGenerator<Uint8Array> {
    yield* chunks
  }

  it('joins the stream of a store without readWhole, showing each chunk to onPart', async () => {
    vi.useRealTimers()
    const { store } = fakeStore({ read: async () => stream() })
    const parts: string[] = []
    const bytes = await host(store).readBytes('k', {
      onPart: (part) => parts.push(Buffer.from(part).toString()),
    })
    expect(Buffer.from(bytes).toString()).toBe('abcd')
    expect(parts).toEqual(['ab', 'cd'])
  })

  it('uses readWhole when the store has it, and checks the key first', async () => {
    vi.useRealTimers()
    const keys: string[] = []
    const { store } = fakeStore({
      readWhole: async (key, options) => {
        keys.push(key)
        options?.onPart?.(Buffer.from('whole'))
        return Buffer.from('whole')
      },
    })
    const parts: string[] = []
    const bytes = await host(store).readBytes('a/b', {
      onPart: (part) => parts.push(Buffer.from(part).toString()),
    })
    expect(Buffer.from(bytes).toString()).toBe('whole')
    expect(keys).toEqual(['a/b'])
    expect(parts).toEqual(['whole'])
    await expect(host(store).readBytes('../x')).rejects.toMatchObject({ code: 'INVALID_ARTIFACT_KEY' })
    expect(keys).toEqual(['a/b'])
  })

  it('fails a readWhole that makes no progress within the bound', async () => {
    const { store, signals } = fakeStore({
      readWhole: async (_key, options) =>
        new Promise<never>(() => {
          if (options?.signal) signals.push(options.signal)
        }),
    })
    const { error } = await settledAfter(BOUND_MS + 10, host(store).readBytes('slow'))
    expect(error).toMatchObject({ code: 'ARTIFACT_STORE_TIMEOUT' })
    expect(signals[0]?.aborted).toBe(true)
  })
})
