import { createHash, randomUUID } from 'node:crypto'
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { Readable } from 'node:stream'
import type { ArtifactBody, ArtifactKind, ArtifactStoreHost, ArtifactVersionInfo } from '@strata/core'

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
        hash.update(bytes)
        await store.write(`${prefix}${name}`, bytes)
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
  files.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  const digest = createHash('sha256')
  for (const [name, fileDigest] of files) digest.update(`${name}\0${fileDigest}\n`)
  return {
    id,
    name: artifact.name,
    kind: artifact.kind,
    artifactStoreUri: store.uri,
    prefix,
    materializer: materializer.id,
    materializerVersion: materializer.version,
    dataType: materializer.dataType(value),
    digest: digest.digest('hex'),
    size: files.reduce((total, [, , size]) => total + size, 0),
  }
}

/** Reads one artifact version's files; `localDirectory()` downloads them once when the store is remote. */
export function artifactSource(store: ArtifactStoreHost, version: ArtifactVersionInfo): ArtifactSource {
  let files: Promise<string[]> | undefined
  let local: Promise<string> | undefined
  const list = (): Promise<string[]> => {
    files ??= (async () => {
      const names: string[] = []
      for await (const entry of store.listAll(version.prefix))
        names.push(entry.key.slice(version.prefix.length))
      return names
    })()
    return files
  }
  return {
    dataType: version.dataType,
    materializerVersion: version.materializerVersion,
    read: (name) => store.read(`${version.prefix}${name}`),
    readBytes: (name) => store.readBytes(`${version.prefix}${name}`),
    readText: (name) => store.readText(`${version.prefix}${name}`),
    list,
    localDirectory: () => {
      local ??= (async () => {
        const names = await list()
        const [first] = names
        const direct = first === undefined ? undefined : store.localPath(`${version.prefix}${first}`)
        if (first !== undefined && direct) return direct.slice(0, direct.length - first.length)
        const directory = await mkdtemp(join(tmpdir(), 'strata-artifact-'))
        for (const name of names) {
          const path = join(directory, name)
          await mkdir(dirname(path), { recursive: true })
          await writeFile(path, Readable.from(await store.read(`${version.prefix}${name}`)))
        }
        return directory
      })()
      return local
    },
  }
}

/** Loads a version's value with its materializer. */
export async function loadArtifact(
  store: ArtifactStoreHost,
  version: ArtifactVersionInfo,
  materializer: Materializer,
): Promise<unknown> {
  return materializer.load(artifactSource(store, version))
}
