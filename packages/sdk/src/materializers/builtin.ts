import { createReadStream } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { basename, join, relative } from 'node:path'
import { StrataError } from '@strata/core'
import { findNonJson } from '../util/json.js'
import { ArtifactDirectory, ArtifactFile, isArtifactDirectory, isArtifactFile } from './files.js'
import { defineMaterializer, type Materializer } from './materializer.js'

const stringMaterializer = defineMaterializer<string>({
  id: 'strata.string',
  version: 1,
  canSave: (value) => typeof value === 'string',
  dataType: () => 'string',
  save: (value, target) => target.write('data.txt', value),
  load: (source) => source.readText('data.txt'),
})

const bytesMaterializer = defineMaterializer<Uint8Array>({
  id: 'strata.bytes',
  version: 1,
  canSave: (value) =>
    value instanceof Uint8Array && (value.constructor === Uint8Array || Buffer.isBuffer(value)),
  dataType: (value) => (Buffer.isBuffer(value) ? 'Buffer' : 'Uint8Array'),
  save: (value, target) => target.write('data.bin', value),
  load: async (source) => {
    const bytes = await source.readBytes('data.bin')
    if (source.dataType === 'Buffer')
      return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    // A plain Uint8Array over the same memory when it owns all of it; a copy of a view into a shared pool.
    return ownsItsBuffer(bytes) ? new Uint8Array(bytes.buffer, 0, bytes.byteLength) : new Uint8Array(bytes)
  },
})

/** Whether `bytes` spans its whole ArrayBuffer (not a slice of Node's shared pool), so it can be reused as is. */
function ownsItsBuffer(bytes: Uint8Array): boolean {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
}

type TypedArrayType = new (buffer: ArrayBuffer) => ArrayBufferView

// Float16Array is new (Node 24, ES2025): kept only where the runtime has it.
const float16 = (globalThis as { Float16Array?: TypedArrayType }).Float16Array

const TYPED_ARRAYS: Record<string, TypedArrayType> = {
  Int8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
  ...(float16 ? { Float16Array: float16 } : {}),
}

/** Typed arrays keep their element type; bytes are stored in this machine's byte order (little-endian on x86 and ARM). */
const typedArrayMaterializer = defineMaterializer<ArrayBufferView>({
  id: 'strata.typed-array',
  version: 1,
  canSave: (value) =>
    ArrayBuffer.isView(value) &&
    !(value instanceof DataView) &&
    (value.constructor?.name ?? '') in TYPED_ARRAYS,
  dataType: (value) => value.constructor.name,
  save: (value, target) =>
    target.write('data.bin', new Uint8Array(value.buffer, value.byteOffset, value.byteLength)),
  load: async (source) => {
    const Type = TYPED_ARRAYS[source.dataType]
    if (!Type) {
      throw new StrataError(
        'MATERIALIZER_UNSUPPORTED',
        source.dataType === 'Float16Array'
          ? 'this artifact is a Float16Array, which this JavaScript runtime does not have — load it on Node 24 or later'
          : `unknown typed array type '${source.dataType}' — load it with the Strata version that saved it`,
      )
    }
    const bytes = await source.readBytes('data.bin')
    if (ownsItsBuffer(bytes) && bytes.buffer instanceof ArrayBuffer) return new Type(bytes.buffer)
    // A fresh, aligned buffer: the element type may need 8-byte alignment.
    const buffer = new ArrayBuffer(bytes.byteLength)
    new Uint8Array(buffer).set(bytes)
    return new Type(buffer)
  },
})

export const jsonMaterializer = defineMaterializer<unknown>({
  id: 'strata.json',
  version: 1,
  canSave: (value) => findNonJson(value, { negativeZero: true }) === undefined,
  dataType: (value) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value),
  // In the value's own key order, as `JSON.stringify` writes it (and a load gives it back): a step that
  // builds its value the same way each run gets the same digest, so its consumers' cache keys hold.
  // Canonical order (every object's keys sorted) cost a walk collecting the keys and a slower stringify.
  save: (value, target) => target.write('data.json', JSON.stringify(value)),
  load: async (source) => JSON.parse(await source.readText('data.json')),
})

const fileMaterializer = defineMaterializer<ArtifactFile>({
  id: 'strata.file',
  version: 1,
  canSave: isArtifactFile,
  dataType: () => 'file',
  save: (value, target) => target.write(`file/${basename(value.path)}`, createReadStream(value.path)),
  load: async (source) => {
    const [name] = await source.list()
    if (!name) throw new Error('the file artifact has no file')
    return new ArtifactFile(join(await source.localDirectory(), name))
  },
})

/** Directories keep their files and relative paths (empty directories are not stored). */
const directoryMaterializer = defineMaterializer<ArtifactDirectory>({
  id: 'strata.directory',
  version: 1,
  canSave: isArtifactDirectory,
  dataType: () => 'directory',
  save: async (value, target) => {
    const entries = await readdir(value.path, { recursive: true, withFileTypes: true })
    for (const entry of entries) {
      if (!entry.isFile()) continue
      const path = join(entry.parentPath, entry.name)
      await target.write(`dir/${relative(value.path, path).split('\\').join('/')}`, createReadStream(path))
    }
  },
  load: async (source) => new ArtifactDirectory(join(await source.localDirectory(), 'dir')),
})

/** Loads data registered with `Client.registerArtifact` (files already in the store); never chosen to save. */
const registeredMaterializer = defineMaterializer<ArtifactDirectory>({
  id: 'strata.registered',
  version: 1,
  canSave: () => false,
  dataType: () => 'directory',
  save: async () => {
    throw new Error('registered artifacts are not saved through a materializer')
  },
  load: async (source) => new ArtifactDirectory(await source.localDirectory()),
})

/** Built-ins in the order they are tried. */
export const BUILTIN_MATERIALIZERS: readonly Materializer[] = [
  fileMaterializer,
  directoryMaterializer,
  stringMaterializer,
  bytesMaterializer,
  typedArrayMaterializer,
  jsonMaterializer,
  registeredMaterializer,
] as readonly Materializer[]
