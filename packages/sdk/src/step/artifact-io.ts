import { createHash, type Hash, randomUUID } from 'node:crypto'
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { Readable } from 'node:stream'
import {
  type ArtifactBody,
  type ArtifactKind,
  type ArtifactStoreHost,
  type ArtifactVersionInfo,
  isStrataError,
} from '@strata/core'
import {
  artifactCorrupt,
  artifactMissing,
  isArtifactDataError,
  mismatch,
  noteDamage,
  versionDigest,
} from './artifact-integrity.js'

export type { ArtifactVersionInfo }

import type { ArtifactSource, ArtifactTarget, Materializer } from '../materializers/materializer.js'

/** `pipeline::step::output` → `pipeline__step__output`, safe as a key segment. */
function artifactKeySegment(name: string): string {
  return (
    name
      .replaceAll('::', '__')
      .replaceAll(/[^A-Za-z0-9._-]/g, '_')
      .slice(0, 200) || 'artifact'
  )
}

async function* hashing(
  body: Exclude<ArtifactBody, string | Uint8Array>,
  onChunk: (chunk: Uint8Array) => void,
): AsyncGenerator<Uint8Array> {
  for await (const chunk of body) {
    onChunk(chunk)
    yield chunk
  }
}

/** Above this size a buffer is hashed in parts, letting the store's write get under way between them. */
const HASH_PART = 32 * 1024 * 1024

/**
 * Hashes a buffer while the store writes it: in parts, yielding between them so that the write's I/O
 * (on other threads) is issued and goes on while this thread hashes.
 */
async function hashWhileWriting(hash: Hash, bytes: Uint8Array): Promise<void> {
  if (bytes.byteLength <= HASH_PART) {
    hash.update(bytes)
    return
  }
  for (let offset = 0; offset < bytes.byteLength; offset += HASH_PART) {
    await new Promise(setImmediate)
    hash.update(bytes.subarray(offset, offset + HASH_PART))
  }
}

/**
 * Saves a value as a new artifact version under a fresh prefix, hashing every byte on its way. Nothing is
 * recorded here: the caller records the returned version (the commit point) after this resolves.
 */
export async function saveArtifact(
  store: ArtifactStoreHost,
  value: unknown,
  materializer: Materializer,
  artifact: { name: string; kind: ArtifactKind | string; id?: string },
): Promise<ArtifactVersionInfo> {
  const id = artifact.id ?? randomUUID()
  const prefix = `artifacts/${artifactKeySegment(artifact.name)}/${id}/`
  const files: Array<[string, string, number]> = []
  const target: ArtifactTarget = {
    write: async (name, body) => {
      const hash = createHash('sha256')
      if (typeof body === 'string' || body instanceof Uint8Array) {
        // A value in memory goes to the store whole: it can write it in one call, not as a stream.
        const bytes = typeof body === 'string' ? Buffer.from(body) : body
        const writing = store.write(`${prefix}${name}`, bytes)
        await hashWhileWriting(hash, bytes)
        await writing
        files.push([name, hash.digest('hex'), bytes.byteLength])
        return
      }
      let size = 0
      await store.write(
        `${prefix}${name}`,
        hashing(body, (chunk) => {
          hash.update(chunk)
          size += chunk.byteLength
        }),
      )
      files.push([name, hash.digest('hex'), size])
    },
  }
  await materializer.save(value, target)
  return {
    id,
    name: artifact.name,
    kind: artifact.kind,
    artifactStoreUri: store.uri,
    prefix,
    materializer: materializer.id,
    materializerVersion: materializer.version,
    dataType: materializer.dataType(value),
    digest: versionDigest(files.map(([name, fileDigest]) => [name, fileDigest] as const)),
    size: files.reduce((total, [, , size]) => total + size, 0),
  }
}

/** An artifact version's files as a materializer reads them, hashed on their way through. */
interface VerifyingSource extends ArtifactSource {
  /**
   * Checks the version's digest against what was read (hashing the files the materializer did not read
   * to the end, once); with the materializer's own failure as `cause`, says whether the data was at fault.
   * @throws StrataError `ARTIFACT_CORRUPT` or `ARTIFACT_MISSING`
   */
  verify(cause?: unknown): Promise<void>
}

/**
 * Reads one artifact version's files, hashing every byte as the materializer streams it, so that
 * {@link VerifyingSource.verify} needs no second read; `localDirectory()` downloads the files once when the
 * store is remote.
 */
export function artifactSource(
  store: ArtifactStoreHost,
  version: ArtifactVersionInfo,
  downloads?: string[],
): VerifyingSource {
  let files: Promise<string[]> | undefined
  let local: Promise<string> | undefined
  /** File name → sha256 and size of its bytes, for files read to their end. */
  const read = new Map<string, { digest: string; size: number }>()
  const digestOfRead = (names: Iterable<string>) =>
    versionDigest([...names].map((name) => [name, read.get(name)?.digest ?? ''] as const))
  const list = (): Promise<string[]> => {
    files ??= (async () => {
      const names: string[] = []
      for await (const entry of store.listAll(version.prefix))
        names.push(entry.key.slice(version.prefix.length))
      return names
    })()
    return files
  }
  const open = (name: string): Promise<AsyncIterable<Uint8Array>> =>
    opening(name, () => store.read(`${version.prefix}${name}`))
  /** Runs a read of file `name`, a missing file reported as the version's. */
  const opening = async <T>(name: string, reading: () => Promise<T>): Promise<T> => {
    try {
      return await reading()
    } catch (error) {
      if (!isStrataError(error) || error.code !== 'ARTIFACT_NOT_FOUND') throw error
      const left = await list().catch(() => [name])
      throw artifactMissing(
        version,
        left.length === 0 ? 'its files are gone' : `its file '${name}' is gone`,
        error,
      )
    }
  }
  async function* hashed(name: string, body: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    const hash = createHash('sha256')
    let size = 0
    for await (const chunk of body) {
      hash.update(chunk)
      size += chunk.byteLength
      yield chunk
    }
    // Only a file read to its end counts; one left midway is hashed again by verify().
    read.set(name, { digest: hash.digest('hex'), size })
  }
  const readFile = async (name: string) => hashed(name, await open(name))
  /** The whole file in one buffer (of its size, where the store can), hashed part by part as it lands. */
  const readBytes = async (name: string): Promise<Uint8Array> => {
    const hash = createHash('sha256')
    const bytes = await opening(name, () =>
      store.readBytes(`${version.prefix}${name}`, { onPart: (part) => hash.update(part) }),
    )
    read.set(name, { digest: hash.digest('hex'), size: bytes.byteLength })
    return bytes
  }
  const check = async (cause?: unknown): Promise<void> => {
    // The files the materializer read make up the recorded digest: nothing else to read (or list).
    if (read.size > 0 && digestOfRead(read.keys()) === version.digest) return
    const names = await list().catch(() => [] as string[])
    if (names.length === 0) throw artifactMissing(version, 'its files are gone', cause)
    for (const name of names) {
      if (read.has(name)) continue
      for await (const _ of await readFile(name));
    }
    if (digestOfRead(names) === version.digest) return
    const size = names.reduce((total, name) => total + (read.get(name)?.size ?? 0), 0)
    const reason = mismatch(size, version.size)
    await noteDamage(store, version, reason)
    throw artifactCorrupt(version, reason, cause)
  }
  return {
    dataType: version.dataType,
    materializerVersion: version.materializerVersion,
    read: readFile,
    readBytes,
    readText: async (name) => new TextDecoder().decode(await readBytes(name)),
    list,
    localDirectory: () => {
      local ??= (async () => {
        const names = await list()
        const [first] = names
        const direct = first === undefined ? undefined : store.localPath(`${version.prefix}${first}`)
        if (first !== undefined && direct) return direct.slice(0, direct.length - first.length)
        const directory = await mkdtemp(join(tmpdir(), 'strata-artifact-'))
        downloads?.push(directory)
        for (const name of names) {
          const path = join(directory, name)
          await mkdir(dirname(path), { recursive: true })
          await writeFile(path, Readable.from(await readFile(name)))
        }
        return directory
      })()
      return local
    },
    verify: async (cause) => {
      if (cause === undefined) return check()
      if (isArtifactDataError(cause)) throw cause
      // The materializer failed: on bytes that are not what was saved, that is the error to report.
      try {
        await check(cause)
      } catch (error) {
        if (isArtifactDataError(error)) throw error
      }
    },
  }
}

/**
 * Loads a version's value with its materializer and checks the bytes it read against the version's
 * digest before handing the value on. A file or directory downloaded from a remote store goes to a fresh
 * temporary folder, added to `downloads` (whoever passes it removes them once the value is no longer used).
 * @throws StrataError `ARTIFACT_CORRUPT` (bytes changed since the save) or `ARTIFACT_MISSING` (files gone)
 */
export async function loadArtifact(
  store: ArtifactStoreHost,
  version: ArtifactVersionInfo,
  materializer: Materializer,
  downloads?: string[],
): Promise<unknown> {
  const source = artifactSource(store, version, downloads)
  let value: unknown
  try {
    value = await materializer.load(source)
  } catch (error) {
    await source.verify(error)
    throw error
  }
  await source.verify()
  return value
}
