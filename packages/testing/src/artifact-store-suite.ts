import { createHash, randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { ArtifactStoreHost, type ArtifactStoreV1, isStrataError } from '@strata/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { patternStream } from './streams.js'

export interface ArtifactStoreSuiteOptions {
  /** Shown in the suite's title, e.g. `s3 (s3rver)`. */
  name: string
  /** Creates the store under test; called once before the suite. */
  create(): Promise<ArtifactStoreV1>
  /** Called once after the suite, e.g. to stop a server. */
  cleanup?(store: ArtifactStoreV1): Promise<void>
  /**
   * Bytes of the large streamed round trip.
   * @default 100 MiB
   */
  largeSize?: number
  /** Per-test timeout in milliseconds. @default 120000 */
  timeout?: number
}

async function expectNotFound(promise: Promise<unknown>): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  )
  expect(isStrataError(error) && error.code).toBe('ARTIFACT_NOT_FOUND')
}

/**
 * The `ArtifactStore` conformance suite. Every artifact store flavor, first-party or not, runs it:
 * `artifactStoreConformance({ name: 'my-store', create: () => createMyStore() })` inside a test file.
 * All keys live under a fresh random prefix, which the suite removes afterwards, so a shared bucket works.
 */
export function artifactStoreConformance(options: ArtifactStoreSuiteOptions): void {
  const timeout = options.timeout ?? 120_000
  const largeSize = options.largeSize ?? 100 * 1024 * 1024

  describe(`ArtifactStore conformance: ${options.name}`, { timeout }, () => {
    let raw: ArtifactStoreV1
    let store: ArtifactStoreHost
    const base = `conformance-${randomBytes(5).toString('hex')}/`
    const key = (name: string): string => `${base}${name}`

    beforeAll(async () => {
      raw = await options.create()
      store = new ArtifactStoreHost(raw, { name: options.name, flavor: 'under-test' })
    }, timeout)

    afterAll(async () => {
      if (!store) return
      await store.deletePrefix(base).catch(() => {})
      await options.cleanup?.(raw)
      await store.close()
    }, timeout)

    it('declares interface version 1 and a URI', () => {
      expect(raw.apiVersion).toBe(1)
      expect(raw.uri).toMatch(/^[a-z][a-z0-9+.-]*:\/\//)
    })

    it('round-trips text, binary and empty values', async () => {
      const binary = Uint8Array.from({ length: 256 }, (_, index) => index)
      await store.write(key('rt/text.txt'), 'héllo, wörld ✓')
      await store.write(key('rt/binary.bin'), binary)
      await store.write(key('rt/empty'), new Uint8Array())
      expect(await store.readText(key('rt/text.txt'))).toBe('héllo, wörld ✓')
      expect(Buffer.from(await store.readBytes(key('rt/binary.bin')))).toEqual(Buffer.from(binary))
      expect((await store.readBytes(key('rt/empty'))).byteLength).toBe(0)
      expect(await store.stat(key('rt/binary.bin'))).toMatchObject({ size: 256 })
      expect(await store.stat(key('rt/empty'))).toMatchObject({ size: 0 })
      expect(await store.exists(key('rt/text.txt'))).toBe(true)
    })

    it(`streams ${Math.round(largeSize / 1024 / 1024)} MiB through write and read`, async () => {
      const expected = createHash('sha256')
      const stat = await store.write(
        key('large/blob'),
        patternStream(largeSize, (chunk) => expected.update(chunk)),
      )
      expect(stat.size).toBe(largeSize)
      const actual = createHash('sha256')
      let size = 0
      for await (const chunk of await store.read(key('large/blob'))) {
        actual.update(chunk)
        size += chunk.byteLength
      }
      expect(size).toBe(largeSize)
      expect(actual.digest('hex')).toBe(expected.digest('hex'))
      await store.delete(key('large/blob'))
      expect(await store.exists(key('large/blob'))).toBe(false)
    })

    it('reads a whole value into one buffer of its size, handing its parts on in order', async () => {
      // Several MiB: more than one part (and than one network chunk) on every store.
      const size = 12 * 1024 * 1024 + 123
      const expected = createHash('sha256')
      await store.write(
        key('whole/blob'),
        patternStream(size, (chunk) => expected.update(chunk)),
      )
      const digest = expected.digest('hex')
      const parts = createHash('sha256')
      let partBytes = 0
      const bytes = await store.readBytes(key('whole/blob'), {
        onPart: (part) => {
          parts.update(part)
          partBytes += part.byteLength
        },
      })
      expect(bytes.byteLength).toBe(size)
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(digest)
      expect(partBytes).toBe(size)
      expect(parts.digest('hex')).toBe(digest)
      if (raw.readWhole) {
        // Read into place: one buffer of exactly the value's size, not chunks joined afterwards.
        expect(bytes.byteOffset).toBe(0)
        expect(bytes.buffer.byteLength).toBe(size)
        await expectNotFound(store.readBytes(key('whole/missing')))
      }
      await store.delete(key('whole/blob'))
    })

    it('lists by prefix in key order, page by page', async () => {
      const names = ['ls/a/1', 'ls/a/2', 'ls/a/3', 'ls/a/sub/x', 'ls/ab/1', 'ls/b.txt', 'ls/a-b']
      for (const name of names) await store.write(key(name), name)
      const underA = ['ls/a/1', 'ls/a/2', 'ls/a/3', 'ls/a/sub/x'].map(key)

      const all = await store.list(key('ls/'))
      expect(all.cursor).toBeUndefined()
      expect(all.entries.map((entry) => entry.key)).toEqual([...names].sort().map(key))
      expect(all.entries.find((entry) => entry.key === key('ls/b.txt'))?.size).toBe('ls/b.txt'.length)

      expect((await store.list(key('ls/a/'))).entries.map((entry) => entry.key)).toEqual(underA)
      // A prefix without its trailing slash is a directory too: 'ls/a' never matches 'ls/ab/…' or 'ls/a-b'.
      expect((await store.list(key('ls/a'))).entries.map((entry) => entry.key)).toEqual(underA)
      expect((await store.list(key('ls/none/'))).entries).toEqual([])

      const paged: string[] = []
      let cursor: string | undefined
      let pages = 0
      do {
        const page = await store.list(key('ls/'), { limit: 2, ...(cursor ? { cursor } : {}) })
        expect(page.entries.length).toBeLessThanOrEqual(2)
        paged.push(...page.entries.map((entry) => entry.key))
        cursor = page.cursor
        pages++
      } while (cursor !== undefined && pages < 20)
      expect(paged).toEqual([...names].sort().map(key))
      expect(pages).toBeGreaterThanOrEqual(4)

      const everything: string[] = []
      for await (const entry of store.listAll(key('ls/'))) everything.push(entry.key)
      expect(everything).toEqual(paged)
    })

    it('deletes a prefix and only that prefix', async () => {
      for (const name of ['del/a/1', 'del/a/2/x', 'del/ab', 'del/b']) await store.write(key(name), 'x')
      expect(await store.deletePrefix(key('del/a/'))).toBe(2)
      expect((await store.list(key('del/'))).entries.map((entry) => entry.key)).toEqual([
        key('del/ab'),
        key('del/b'),
      ])
      await store.delete(key('del/b'))
      await store.delete(key('del/b'))
      expect(await store.exists(key('del/b'))).toBe(false)
    })

    it('copies a value', async () => {
      await store.write(key('cp/from'), 'copied')
      await store.copy(key('cp/from'), key('cp/to/x'))
      expect(await store.readText(key('cp/to/x'))).toBe('copied')
      await expectNotFound(store.copy(key('cp/missing'), key('cp/y')))
    })

    it('gives ARTIFACT_NOT_FOUND for missing keys', async () => {
      await expectNotFound(store.read(key('missing/nothing')))
      expect(await store.stat(key('missing/nothing'))).toBeUndefined()
      expect(await store.exists(key('missing/nothing'))).toBe(false)
    })

    it('shows a reader polling during a slow write nothing or the whole value', async () => {
      const chunk = Buffer.alloc(64 * 1024, 7)
      const chunks = 20
      async function* slow(): AsyncGenerator<Uint8Array> {
        for (let index = 0; index < chunks; index++) {
          await sleep(15)
          yield chunk
        }
      }
      let done = false
      const observations: Array<number | 'missing'> = []
      const poller = (async () => {
        while (!done) {
          try {
            observations.push((await store.readBytes(key('slow/value'))).byteLength)
          } catch (error) {
            if (!isStrataError(error) || error.code !== 'ARTIFACT_NOT_FOUND') throw error
            observations.push('missing')
          }
          const listed = (await store.list(key('slow/'))).entries
          for (const entry of listed) {
            expect(entry.key).toBe(key('slow/value'))
            expect(entry.size).toBe(chunk.byteLength * chunks)
          }
          await sleep(5)
        }
      })()
      await store.write(key('slow/value'), slow())
      done = true
      await poller
      expect(observations.length).toBeGreaterThan(5)
      for (const observed of observations) expect([chunk.byteLength * chunks, 'missing']).toContain(observed)
    })

    it('leaves nothing visible when the source fails midway', async () => {
      async function* failing(): AsyncGenerator<Uint8Array> {
        yield Buffer.alloc(1024 * 1024, 1)
        yield Buffer.alloc(1024 * 1024, 2)
        throw new Error('source broke')
      }
      await expect(store.write(key('fail/value'), failing())).rejects.toThrow()
      expect(await store.stat(key('fail/value'))).toBeUndefined()
      expect((await store.list(key('fail/'))).entries).toEqual([])
      await store.write(key('fail/value'), 'second try')
      expect(await store.readText(key('fail/value'))).toBe('second try')
    })

    it('leaves nothing visible when the write is aborted', async () => {
      const controller = new AbortController()
      async function* endless(): AsyncGenerator<Uint8Array> {
        for (let index = 0; ; index++) {
          if (index === 3) controller.abort()
          yield Buffer.alloc(256 * 1024, index)
          await sleep(5)
        }
      }
      await expect(
        store.write(key('abort/value'), endless(), { signal: controller.signal }),
      ).rejects.toThrow()
      expect(await store.stat(key('abort/value'))).toBeUndefined()
      expect((await store.list(key('abort/'))).entries).toEqual([])
    })

    it('refuses path traversal and absolute keys before the store sees them', async () => {
      for (const bad of ['../escape', `${base}../../escape`, '/etc/passwd', 'a//b', 'a\\..\\b']) {
        await expect(store.write(bad, 'x')).rejects.toMatchObject({ code: 'INVALID_ARTIFACT_KEY' })
        await expect(store.read(bad)).rejects.toMatchObject({ code: 'INVALID_ARTIFACT_KEY' })
      }
      await expect(store.list('../')).rejects.toMatchObject({ code: 'INVALID_ARTIFACT_KEY' })
      await expect(store.deletePrefix('')).rejects.toMatchObject({ code: 'INVALID_ARTIFACT_KEY' })
    })
  })
}
