import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ArtifactStoreHost } from '@strata/core'
import { localArtifactStore } from '@strata/local'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadArtifact, saveArtifact } from '../step/artifact-io.js'
import { type ArtifactDirectory, ArtifactFile, directory, file } from './files.js'
import { defineMaterializer } from './materializer.js'
import { selectMaterializer } from './select-materializer.js'

let root: string
let store: ArtifactStoreHost
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'strata-materializers-'))
  const raw = await localArtifactStore.create(
    { path: join(root, 'store') },
    {
      componentName: 'local',
      componentId: 'm',
      dataDir: root,
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    },
  )
  store = new ArtifactStoreHost(raw, { name: 'local', flavor: 'local' })
})
afterAll(() => rm(root, { recursive: true, force: true }))

async function roundTrip(value: unknown, custom: Parameters<typeof selectMaterializer>[1]['custom'] = []) {
  const materializer = selectMaterializer(value, { custom, where: 'output' })
  const saved = await saveArtifact(store, value, materializer, { name: 'test::value', kind: 'data' })
  return { saved, loaded: await loadArtifact(store, saved, materializer) }
}

describe('built-in materializers', () => {
  it('keep JSON values, strings and bytes', async () => {
    const json = { a: [1, 2.5, null, true], b: { c: 'd' } }
    const { saved, loaded } = await roundTrip(json)
    expect(loaded).toEqual(json)
    expect(saved).toMatchObject({
      materializer: 'strata.json',
      materializerVersion: 1,
      dataType: 'object',
      size: '{"a":[1,2.5,null,true],"b":{"c":"d"}}'.length,
    })
    expect(saved.digest).toMatch(/^[0-9a-f]{64}$/)
    expect((await roundTrip('plain text')).loaded).toBe('plain text')
    expect((await roundTrip('plain text')).saved.materializer).toBe('strata.string')
    const bytes = await roundTrip(Uint8Array.from([0, 1, 255]))
    expect(bytes.loaded).toEqual(Uint8Array.from([0, 1, 255]))
    expect(bytes.loaded).not.toBeInstanceOf(Buffer)
    const buffer = await roundTrip(Buffer.from('buf'))
    expect(Buffer.isBuffer(buffer.loaded)).toBe(true)
  })

  it('write a JSON value in its own key order and load it back in that order', async () => {
    const value = [
      { z: 1, a: { y: [true], b: null } },
      { name: 'x', id: 2 },
    ]
    const { saved, loaded } = await roundTrip(value)
    expect(await store.readText(`${saved.prefix}data.json`)).toBe(JSON.stringify(value))
    expect(loaded).toEqual(value)
    const [first, second] = loaded as [Record<string, Record<string, unknown>>, Record<string, unknown>]
    expect(Object.keys(first)).toEqual(['z', 'a'])
    expect(Object.keys(first.a ?? {})).toEqual(['y', 'b'])
    expect(Object.keys(second)).toEqual(['name', 'id'])
    // The same value built the same way: the same digest (what a consumer's cache key holds).
    expect((await roundTrip(structuredClone(value))).saved.digest).toBe(saved.digest)
  })

  it('load large bytes and typed arrays into memory of their own size, with no second copy', async () => {
    const size = 3 * 1024 * 1024 + 8
    const bytes = new Uint8Array(size).map((_, index) => index % 251)
    for (const value of [bytes, Buffer.from(bytes), new Float64Array(bytes.buffer)]) {
      const { loaded } = await roundTrip(value)
      const view = loaded as ArrayBufferView
      expect(view.constructor).toBe(value.constructor)
      expect(
        Buffer.compare(Buffer.from(view.buffer, view.byteOffset, view.byteLength), Buffer.from(bytes)),
      ).toBe(0)
      // The loaded value is the buffer the file was read into: its ArrayBuffer holds nothing else.
      expect(view.buffer.byteLength).toBe(size)
    }
    // A small value read into Node's shared pool comes back as a plain Uint8Array over memory of its own.
    const small = (await roundTrip(Uint8Array.from([9, 8, 7]))).loaded as Uint8Array
    expect(small.buffer.byteLength).toBe(3)
  })

  it('keep the element type of typed arrays', async () => {
    for (const value of [
      new Float32Array([1.5, -2]),
      new Float64Array([Math.PI]),
      new Int16Array([-3, 7]),
      new BigInt64Array([2n ** 40n]),
    ]) {
      const { saved, loaded } = await roundTrip(value)
      expect(saved.dataType).toBe(value.constructor.name)
      expect(loaded).toBeInstanceOf(value.constructor)
      expect(loaded).toEqual(value)
    }
    // Float16Array where the runtime has it (Node 24).
    const Float16 = (globalThis as { Float16Array?: new (values: number[]) => ArrayBufferView }).Float16Array
    if (Float16) {
      const halves = new Float16([0.5, -2, 65504])
      const { saved, loaded } = await roundTrip(halves)
      expect(saved).toMatchObject({ materializer: 'strata.typed-array', dataType: 'Float16Array', size: 6 })
      expect(loaded).toBeInstanceOf(Float16)
      expect(loaded).toEqual(halves)
    }
    // A view into a larger buffer keeps only its own bytes.
    const view = new Float32Array(new Float32Array([9, 1, 2, 9]).buffer, 4, 2)
    expect((await roundTrip(view)).loaded).toEqual(new Float32Array([1, 2]))
  })

  it('store files and directories a step wrote', async () => {
    const modelFile = join(root, 'model.bin')
    await writeFile(modelFile, 'weights')
    const savedFile = await roundTrip(file(modelFile))
    expect(savedFile.loaded).toBeInstanceOf(ArtifactFile)
    expect(await readFile((savedFile.loaded as ArtifactFile).path, 'utf8')).toBe('weights')

    const out = join(root, 'out')
    await mkdir(join(out, 'nested'), { recursive: true })
    await writeFile(join(out, 'a.txt'), 'A')
    await writeFile(join(out, 'nested', 'b.txt'), 'B')
    const savedDirectory = await roundTrip(directory(out))
    expect(savedDirectory.saved).toMatchObject({ materializer: 'strata.directory', size: 2 })
    const loadedPath = (savedDirectory.loaded as ArtifactDirectory).path
    expect(await readFile(join(loadedPath, 'nested', 'b.txt'), 'utf8')).toBe('B')
  })

  it('give the same digest to the same content and a different one otherwise', async () => {
    const first = await roundTrip({ x: 1, y: 2 })
    const again = await roundTrip({ x: 1, y: 2 })
    const other = await roundTrip({ x: 1, y: 3 })
    expect(again.saved.digest).toBe(first.saved.digest)
    expect(other.saved.digest).not.toBe(first.saved.digest)
    expect(again.saved.prefix).not.toBe(first.saved.prefix)
    // JSON is stored in the value's own key order: the same keys in another order are other content.
    expect((await roundTrip({ y: 2, x: 1 })).saved.digest).not.toBe(first.saved.digest)
  })
})

describe('no opaque fallback', () => {
  class Point {
    x = 1
  }
  it.each([
    [{ when: new Date(0) }, 'when is a Date, which no materializer handles — convert it with toISOString()'],
    [{ m: new Map() }, 'm is a Map, which no materializer handles — convert it with Object.fromEntries(map)'],
    [[new Set([1])], '[0] is a Set'],
    [{ n: 10n }, 'n is a BigInt'],
    [{ values: [1, Number.NaN] }, 'values[1] is NaN'],
    [{ a: undefined }, 'a is undefined'],
    [new Point(), '(the value itself) is an instance of Point'],
    [
      { weights: [0.5, -0] },
      'weights[1] is -0 (negative zero, which JSON stores as 0), which no materializer handles — use 0 (x + 0 turns -0 into 0), or return a Float64Array, which keeps -0',
    ],
    [-0, '(the value itself) is -0'],
    [
      { nested: { [Symbol('id')]: 1, ok: true } },
      'nested is an object with the symbol key Symbol(id), which no materializer handles — use a string key',
    ],
  ])('refuses %o with the path and the fix', (value, message) => {
    expect(() => selectMaterializer(value, { where: "output 'model' of step 'train'" })).toThrow(
      `output 'model' of step 'train' cannot be saved: ${message}`,
    )
  })

  it('points to the materializers guide', () => {
    expect(() => selectMaterializer(new Map(), { where: 'output' })).toThrow(
      /, or add a materializer for it \(defineMaterializer: see 'Materializers' in node_modules\/@strata\/sdk\/README\.md\)$/,
    )
  })

  it('keeps -0 in a typed array, where it is a value of its own', async () => {
    const { loaded } = await roundTrip(new Float64Array([-0, 0]))
    expect(Object.is((loaded as Float64Array)[0], -0)).toBe(true)
    expect(Object.is((loaded as Float64Array)[1], 0)).toBe(true)
  })

  it('uses a custom materializer when one claims the value, and names unknown explicit ones', async () => {
    const dates = defineMaterializer<Date>({
      id: 'test.date',
      version: 2,
      canSave: (value) => value instanceof Date,
      dataType: () => 'Date',
      save: (value, target) => target.write('date.txt', value.toISOString()),
      load: async (source) => new Date(await source.readText('date.txt')),
    })
    const { saved, loaded } = await roundTrip(new Date(5), [dates])
    expect(saved).toMatchObject({ materializer: 'test.date', materializerVersion: 2, dataType: 'Date' })
    expect(loaded).toEqual(new Date(5))
    expect(() => selectMaterializer(1, { explicit: 'acme.parquet', where: 'output' })).toThrow(
      "output: no materializer 'acme.parquet' — known: strata.file, strata.directory, strata.string, strata.bytes, strata.typed-array, strata.json",
    )
  })
})
