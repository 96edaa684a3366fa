import { mkdtemp, readFile, rm, truncate, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ArtifactStoreHost, type ArtifactStoreV1 } from '@strata/core'
import { localArtifactStore } from '@strata/local'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { directory, file } from '../materializers/files.js'
import { defineMaterializer } from '../materializers/materializer.js'
import { materializerById, selectMaterializer } from '../materializers/select-materializer.js'
import { checkArtifactData, damageKey, verifyArtifactData } from './artifact-integrity.js'
import { type ArtifactVersionInfo, loadArtifact, saveArtifact } from './artifact-io.js'

let root: string
let store: ArtifactStoreHost
/** The store's calls, by operation and key, to prove what a load reads. */
const calls: string[] = []

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'strata-integrity-'))
  const raw = await localArtifactStore.create(
    { path: join(root, 'store') },
    {
      componentName: 'local',
      componentId: 'i',
      dataDir: root,
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    },
  )
  const counted = new Proxy(raw, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver)
      if (typeof value !== 'function') return value
      return (...args: unknown[]) => {
        calls.push(`${String(property)} ${String(args[0])}`)
        return value.apply(target, args)
      }
    },
  }) as ArtifactStoreV1
  store = new ArtifactStoreHost(counted, { name: 'local', flavor: 'local' })
})
afterAll(() => rm(root, { recursive: true, force: true }))

async function save(value: unknown, name = 'test::value'): Promise<ArtifactVersionInfo> {
  const materializer = selectMaterializer(value, { custom: [], where: 'output' })
  return saveArtifact(store, value, materializer, { name, kind: 'data' })
}

async function load(version: ArtifactVersionInfo): Promise<unknown> {
  return loadArtifact(store, version, materializerById(version.materializer, [], 'the test'))
}

const path = (version: ArtifactVersionInfo, file: string) => join(root, 'store', version.prefix, file)

describe('loading checks the recorded digest', () => {
  it('reads each file once and lists nothing when the bytes match', async () => {
    const version = await save({ rows: [1, 2, 3] })
    calls.length = 0
    expect(await load(version)).toEqual({ rows: [1, 2, 3] })
    expect(calls).toEqual([`readWhole ${version.prefix}data.json`])
  })

  it('fails with ARTIFACT_CORRUPT naming the version and prefix when a file has other bytes of the same size', async () => {
    const version = await save('the bytes that were saved')
    await writeFile(path(version, 'data.txt'), 'THE BYTES THAT WERE SAVED')
    const failure = await load(version).catch((error: unknown) => error)
    expect(failure).toMatchObject({
      code: 'ARTIFACT_CORRUPT',
      details: { versionId: version.id, prefix: version.prefix, artifact: 'test::value' },
    })
    expect((failure as Error).message).toContain(`version ${version.id}, prefix ${version.prefix}`)
    expect((failure as Error).message).toContain('have the recorded size but other content')
    // The load left a note for the cache lookup.
    expect(await checkArtifactData(store, version)).toMatchObject({ state: 'damaged' })
  })

  it('reports corruption, not the parse error, when a materializer fails on changed bytes', async () => {
    const version = await save({ a: 1 })
    await writeFile(path(version, 'data.json'), '{"a":')
    const failure = await load(version).catch((error: unknown) => error)
    expect(failure).toMatchObject({ code: 'ARTIFACT_CORRUPT' })
    expect((failure as Error).message).toContain('it holds 5 bytes, 7 were saved')
    expect((failure as Error).cause).toBeInstanceOf(SyntaxError)
  })

  it('fails with ARTIFACT_MISSING when the files are gone', async () => {
    const version = await save([1, 2])
    await unlink(path(version, 'data.json'))
    await expect(load(version)).rejects.toMatchObject({
      code: 'ARTIFACT_MISSING',
      message: expect.stringContaining(`${version.prefix} in ${store.uri}): its files are gone`),
    })
    expect(await checkArtifactData(store, version)).toMatchObject({ state: 'missing' })
  })

  it('hashes, once, the files a materializer did not read: a directory on the local store', async () => {
    const source = await mkdtemp(join(root, 'dir-'))
    await writeFile(join(source, 'a.txt'), 'alpha')
    await writeFile(join(source, 'b.txt'), 'beta')
    const version = await save(directory(source))
    calls.length = 0
    const loaded = (await load(version)) as { path: string }
    expect(loaded.path).toBe(join(root, 'store', version.prefix, 'dir'))
    expect(calls.filter((call) => call.startsWith('read')).sort()).toEqual([
      `read ${version.prefix}dir/a.txt`,
      `read ${version.prefix}dir/b.txt`,
    ])
    await writeFile(join(root, 'store', version.prefix, 'dir/b.txt'), 'BETA')
    await expect(load(version)).rejects.toMatchObject({ code: 'ARTIFACT_CORRUPT' })
  })

  it('checks a value a custom materializer streams, and files it left unread', async () => {
    const chunks = defineMaterializer<string[]>({
      id: 'test.chunks',
      version: 1,
      canSave: Array.isArray,
      dataType: () => 'chunks',
      save: async (value, target) => {
        for (const [index, chunk] of value.entries()) await target.write(`part-${index}`, chunk)
      },
      // Reads only the first part: the rest is still checked.
      load: async (source) => [await source.readText('part-0')],
    })
    const version = await saveArtifact(store, ['one', 'two'], chunks, { name: 'chunks', kind: 'data' })
    expect(await loadArtifact(store, version, chunks)).toEqual(['one'])
    await truncate(path(version, 'part-1'), 1)
    await expect(loadArtifact(store, version, chunks)).rejects.toMatchObject({ code: 'ARTIFACT_CORRUPT' })
  })
})

describe('a remote store (no local paths)', () => {
  it('downloads a file artifact once, checks it on the way, and names the folder for its owner to remove', async () => {
    const local = store.store
    // The same files, without the local-path capability: as an object store is seen.
    const remote: ArtifactStoreV1 = {
      apiVersion: 1,
      uri: local.uri,
      write: (key, body, options) => local.write(key, body, options),
      read: (key, options) => local.read(key, options),
      stat: (key, options) => local.stat(key, options),
      list: (prefix, options) => local.list(prefix, options),
      delete: (key, options) => local.delete(key, options),
      deletePrefix: (prefix, options) => local.deletePrefix(prefix, options),
    }
    const far = new ArtifactStoreHost(remote, { name: 'far', flavor: 'far' })
    const source = join(root, 'model.bin')
    await writeFile(source, 'weights')
    const version = await saveArtifact(far, file(source), materializerById('strata.file', [], 'x'), {
      name: 'model',
      kind: 'model',
    })
    const downloads: string[] = []
    const loaded = (await loadArtifact(
      far,
      version,
      materializerById('strata.file', [], 'x'),
      downloads,
    )) as {
      path: string
    }
    expect(downloads).toHaveLength(1)
    expect(loaded.path.startsWith(downloads[0] ?? '-')).toBe(true)
    expect(await readFile(loaded.path, 'utf8')).toBe('weights')

    await writeFile(path(version, 'file/model.bin'), 'WEIGHTS')
    await expect(
      loadArtifact(far, version, materializerById('strata.file', [], 'x'), []),
    ).rejects.toMatchObject({
      code: 'ARTIFACT_CORRUPT',
    })
  })
})

describe('the cheap check and the full one', () => {
  it('sees sizes without reading; the full check reads, finds damage and clears the note once restored', async () => {
    const version = await save('abcdef')
    calls.length = 0
    expect(await checkArtifactData(store, version)).toEqual({ state: 'present', files: 1, size: 6 })
    expect(calls.some((call) => call.startsWith('read'))).toBe(false)

    await writeFile(path(version, 'data.txt'), 'abcdeX')
    expect(await checkArtifactData(store, version)).toMatchObject({ state: 'present' })
    expect(await verifyArtifactData(store, version)).toMatchObject({ state: 'damaged' })
    expect(await store.exists(damageKey(version.id))).toBe(true)
    expect(await checkArtifactData(store, version)).toMatchObject({
      state: 'damaged',
      reason: expect.stringMatching(/^a load on .* found that its 6 bytes have the recorded size/),
    })

    await writeFile(path(version, 'data.txt'), 'abcdef')
    expect(await verifyArtifactData(store, version)).toEqual({ state: 'intact', files: 1, size: 6 })
    expect(await store.exists(damageKey(version.id))).toBe(false)

    await writeFile(path(version, 'data.txt'), 'abcdefgh')
    expect(await checkArtifactData(store, version)).toMatchObject({
      state: 'damaged',
      reason: 'it holds 8 bytes, 6 were saved',
    })
  })
})
