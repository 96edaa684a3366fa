import {
  closeSync,
  constants,
  createReadStream,
  type Dirent,
  fstatSync,
  openSync,
  read,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { copyFile, open, readdir, rename, rm, rmdir, stat, unlink } from 'node:fs/promises'
import { dirname, join, relative, sep } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { pathToFileURL } from 'node:url'
import {
  type ArtifactBody,
  type ArtifactCallOptions,
  type ArtifactLeftover,
  type ArtifactListOptions,
  type ArtifactListPage,
  type ArtifactReadWholeOptions,
  type ArtifactStat,
  type ArtifactStoreV1,
  artifactNotFound,
  isStrataError,
} from '@strata/core/base'
import { makeDirectory, makeDirectorySync, storeUnusable } from './local-directories.js'
import { hostTag, STARTED_SECONDS, writerState } from './process-liveness.js'

/** Partial writes live under this marker until renamed into place; listings never show them. */
const TEMP_MARKER = '.strata-tmp-'
/**
 * Who writes: `<pid>.<start, base 36 seconds>.<host tag>`. A temporary file carries its writer, so that
 * `strata artifact prune` can tell one a live process is still writing from one a killed writer left.
 */
const writer = (): string => `${process.pid}.${STARTED_SECONDS.toString(36)}.${hostTag()}`
/** Random hex; node:crypto is loaded on the first write, not when a read-only command opens the store. */
const randomHex = (bytes: number): string =>
  process.getBuiltinModule('node:crypto').randomBytes(bytes).toString('hex')
const TEMP_NAME = /^\.strata-tmp-(\d+)\.([0-9a-z]+)\.([0-9a-f]{8})-[0-9a-f]+$/

function tempPath(target: string): string {
  return join(dirname(target), `${TEMP_MARKER}${writer()}-${randomHex(6)}`)
}
const DEFAULT_PAGE = 1000
/**
 * Values up to this size are written and read with synchronous calls: a step's small artifact then costs a
 * few microseconds of blocking I/O instead of six thread-pool round trips (most of a step's overhead on the
 * default stack). Larger values stream.
 */
const SMALL_VALUE = 1024 * 1024
/** How many folders a store remembers having made (see `#folders`). */
const KNOWN_FOLDERS = 1024
/** The size of one read of {@link LocalArtifactStore.readWhole}: few round trips, parts hashed while the next is read. */
const READ_PART = 8 * 1024 * 1024
/** The most one write(2) takes on Linux. */
const WRITE_PART = 0x7fff_f000

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code
  return code === 'ENOENT' || code === 'ENOTDIR'
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code
}

/** Opens a file to read without waiting on it: a FIFO put where a file should be would block open(). */
const READ_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0)

/**
 * An artifact store in a directory. Writes go to a temporary file beside the target and are renamed into
 * place, so a reader sees nothing or the whole value. Keys arrive already checked by the host.
 */
export class LocalArtifactStore implements ArtifactStoreV1 {
  readonly apiVersion = 1
  readonly uri: string
  readonly #root: string
  /** Folders this store made or found for small writes (a bounded memory, cleared when full). */
  readonly #folders = new Set<string>()

  constructor(root: string) {
    this.#root = root
    this.uri = pathToFileURL(root).href
  }

  localPath(key: string): string {
    return join(this.#root, key)
  }

  async write(key: string, body: ArtifactBody, options?: ArtifactCallOptions): Promise<ArtifactStat> {
    const target = this.localPath(key)
    const temp = tempPath(target)
    if (
      (typeof body === 'string' && body.length <= SMALL_VALUE) ||
      (body instanceof Uint8Array && body.byteLength <= SMALL_VALUE)
    ) {
      options?.signal?.throwIfAborted()
      const folder = dirname(target)
      // An artifact version's folder is new: made first, it saves a create that fails for want of it.
      if (!this.#folders.has(folder)) {
        try {
          makeDirectorySync(folder)
        } catch (cause) {
          throw storeUnusable(this.#root, cause)
        }
        if (this.#folders.size >= KNOWN_FOLDERS) this.#folders.clear()
        this.#folders.add(folder)
      }
      return writeSmall(this.#root, target, temp, body)
    }
    try {
      // The folder is made only when the file cannot be created: most writes go to folders that exist.
      const handle = await open(temp, 'wx').catch(async (error: unknown) => {
        await makeFolder(this.#root, dirname(target), error)
        return open(temp, 'wx')
      })
      if (typeof body === 'string' || body instanceof Uint8Array) {
        options?.signal?.throwIfAborted()
        try {
          await writeAll(handle, typeof body === 'string' ? Buffer.from(body) : body, options?.signal)
        } finally {
          await handle.close()
        }
      } else {
        const source = body instanceof Readable ? body : Readable.from(body, { objectMode: false })
        await pipeline(source, handle.createWriteStream(), { signal: options?.signal })
      }
      await rename(temp, target)
    } catch (error) {
      // Under a path that is not a folder, removing fails too: the write's own error is the one to report.
      await rm(temp, { force: true }).catch(() => {})
      throw error
    }
    const written = await stat(target)
    return { size: written.size, modifiedAt: written.mtime }
  }

  async read(key: string): Promise<AsyncIterable<Uint8Array>> {
    let descriptor: number | undefined
    try {
      descriptor = openSync(this.localPath(key), READ_FLAGS)
      const info = fstatSync(descriptor)
      if (!info.isFile()) throw artifactNotFound(this.uri, key)
      if (info.size <= SMALL_VALUE) return once(readFileSync(descriptor))
      // The stream reads the file already open (not the path again) and closes it when done.
      const stream = createReadStream('', { fd: descriptor })
      descriptor = undefined
      return stream
    } catch (error) {
      if (isMissing(error) || (error as NodeJS.ErrnoException).code === 'EISDIR')
        throw artifactNotFound(this.uri, key)
      throw error
    } finally {
      if (descriptor !== undefined) closeSync(descriptor)
    }
  }

  /**
   * Reads a file into one buffer of its size, part after part, the next part's read under way while
   * `onPart` sees the last one (a caller hashing them works while the disk does).
   */
  async readWhole(key: string, options?: ArtifactReadWholeOptions): Promise<Uint8Array> {
    let descriptor: number | undefined
    try {
      descriptor = openSync(this.localPath(key), READ_FLAGS)
      const info = fstatSync(descriptor)
      if (!info.isFile()) throw artifactNotFound(this.uri, key)
      if (info.size <= SMALL_VALUE) {
        const bytes = readFileSync(descriptor)
        options?.onPart?.(bytes)
        return bytes
      }
      return await readParts(descriptor, info.size, options)
    } catch (error) {
      if (isMissing(error) || errorCode(error) === 'EISDIR') throw artifactNotFound(this.uri, key)
      throw error
    } finally {
      if (descriptor !== undefined) closeSync(descriptor)
    }
  }

  async stat(key: string): Promise<ArtifactStat | undefined> {
    try {
      const info = await stat(this.localPath(key))
      return info.isFile() ? { size: info.size, modifiedAt: info.mtime } : undefined
    } catch (error) {
      if (isMissing(error)) return undefined
      throw error
    }
  }

  async list(prefix: string, options: ArtifactListOptions = {}): Promise<ArtifactListPage> {
    const limit = Math.max(1, options.limit ?? DEFAULT_PAGE)
    const entries: ArtifactListPage['entries'] = []
    let more = false
    for await (const entry of this.#walk(prefix)) {
      if (options.cursor !== undefined && entry.key <= options.cursor) continue
      if (entries.length === limit) {
        more = true
        break
      }
      entries.push(entry)
    }
    const last = entries.at(-1)
    return more && last ? { entries, cursor: last.key } : { entries }
  }

  async delete(key: string): Promise<void> {
    try {
      await unlink(this.localPath(key))
    } catch (error) {
      if (!isMissing(error)) throw error
    }
  }

  async deletePrefix(prefix: string): Promise<number> {
    let count = 0
    for await (const _ of this.#walk(prefix)) count++
    await rm(join(this.#root, prefix), { recursive: true, force: true })
    return count
  }

  async copy(from: string, to: string): Promise<void> {
    const target = this.localPath(to)
    const temp = tempPath(target)
    try {
      await makeFolder(this.#root, dirname(target))
      await copyFile(this.localPath(from), temp, constants.COPYFILE_EXCL)
      await rename(temp, target)
    } catch (error) {
      await rm(temp, { force: true }).catch(() => {})
      if (isMissing(error)) throw artifactNotFound(this.uri, from)
      throw error
    }
  }

  /**
   * Makes the store's folder if needed, then writes, reads back and deletes a probe file: what a run does,
   * in a few bytes (`strata stack validate`).
   * @throws StrataError `ARTIFACT_STORE_UNUSABLE` naming the path and why it cannot hold artifacts
   */
  async verify(options?: ArtifactCallOptions): Promise<void> {
    const probe = `.strata-verify-${randomHex(6)}`
    const content = `strata probe ${probe}`
    try {
      await makeDirectory(this.#root)
      const info = await stat(this.#root)
      if (!info.isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' })
      await this.write(probe, Buffer.from(content), options)
      const back = readFileSync(this.localPath(probe), 'utf8')
      if (back !== content) throw new Error('a file written there read back differently')
    } catch (error) {
      throw isStrataError(error) ? error : storeUnusable(this.#root, error)
    } finally {
      await rm(this.localPath(probe), { force: true }).catch(() => {})
    }
  }

  /**
   * Temporary files that writes left behind, with their writer's state as this machine sees it (a name
   * from another machine, or from a Strata that did not record its writer, is `unknown`).
   */
  async *leftovers(): AsyncGenerator<ArtifactLeftover> {
    for await (const path of this.#temporaryFiles(this.#root)) {
      let info: Awaited<ReturnType<typeof stat>>
      try {
        info = await stat(path)
      } catch (error) {
        if (isMissing(error)) continue // renamed into place, or removed, since the folder was read
        throw error
      }
      const match = TEMP_NAME.exec(path.slice(path.lastIndexOf(sep) + 1))
      yield {
        key: relative(this.#root, path).split(sep).join('/'),
        size: info.size,
        modifiedAt: info.mtime,
        writer: match
          ? writerState(Number(match[1]), Number.parseInt(match[2] ?? '', 36), match[3] ?? '')
          : 'unknown',
      }
    }
  }

  /** Removes a temporary file, then the folders of an artifact version that it leaves empty. */
  async removeLeftover(key: string): Promise<void> {
    const name = key.slice(key.lastIndexOf('/') + 1)
    if (!name.startsWith(TEMP_MARKER)) {
      throw artifactNotFound(this.uri, key)
    }
    await rm(this.localPath(key), { force: true })
    // Only inside `artifacts/<name>/`: a version's prefix has one writer, so nothing else is about to
    // write into a folder found empty there (a run's folders have several).
    const parts = key.split('/').slice(0, -1)
    while (parts.length > 2 && parts[0] === 'artifacts') {
      try {
        await rmdir(join(this.#root, ...parts))
      } catch {
        break
      }
      parts.pop()
    }
  }

  async *#temporaryFiles(directory: string): AsyncGenerator<string> {
    let children: Dirent[]
    try {
      children = await readdir(directory, { withFileTypes: true })
    } catch (error) {
      if (isMissing(error)) return
      throw error
    }
    for (const child of children) {
      const path = join(directory, child.name)
      if (child.isDirectory()) yield* this.#temporaryFiles(path)
      else if (child.name.startsWith(TEMP_MARKER)) yield path
    }
  }

  /**
   * Files under `prefix` in ascending key order. Directories sort as `name/`, so a depth-first walk
   * yields exactly the lexicographic order of the full keys.
   */
  async *#walk(prefix: string): AsyncGenerator<{ key: string; size: number }> {
    const directory = join(this.#root, prefix)
    let children: Dirent[]
    try {
      children = await readdir(directory, { withFileTypes: true })
    } catch (error) {
      if (isMissing(error)) return
      throw error
    }
    const sortKey = (child: Dirent): string => (child.isDirectory() ? `${child.name}/` : child.name)
    children.sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0))
    for (const child of children) {
      if (child.name.startsWith(TEMP_MARKER)) continue
      const key = `${prefix}${child.name}`
      if (child.isDirectory()) yield* this.#walk(`${key}/`)
      else if (child.isFile()) yield { key, size: (await stat(join(this.#root, key))).size }
    }
  }
}

/**
 * Makes the folder a write needs after creating its file failed with `failure` (none: make it anyway). A
 * folder that cannot be made is the store's root that cannot hold artifacts, named as such.
 */
async function makeFolder(root: string, folder: string, failure?: unknown): Promise<void> {
  if (failure !== undefined && errorCode(failure) === 'ENOTDIR') throw storeUnusable(root, failure)
  if (failure !== undefined && errorCode(failure) !== 'ENOENT') throw failure
  try {
    await makeDirectory(folder)
  } catch (error) {
    throw storeUnusable(root, error)
  }
}

/** Writes a small value to a temporary file beside the target and renames it into place. */
function writeSmall(root: string, target: string, temp: string, body: string | Uint8Array): ArtifactStat {
  try {
    try {
      writeFileSync(temp, body, { flag: 'wx' })
    } catch (error) {
      if (errorCode(error) === 'ENOTDIR') throw storeUnusable(root, error)
      if (errorCode(error) !== 'ENOENT') throw error
      try {
        makeDirectorySync(dirname(target))
      } catch (cause) {
        throw storeUnusable(root, cause)
      }
      writeFileSync(temp, body, { flag: 'wx' })
    }
    renameSync(temp, target)
  } catch (error) {
    try {
      rmSync(temp, { force: true })
    } catch {
      // Under a path that is not a folder, removing fails too: the write's own error is the one to report.
    }
    throw error
  }
  const size = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength
  return { size, modifiedAt: new Date() }
}

/**
 * Reads `size` bytes of an open file into one buffer, the next part's read under way while `onPart` sees
 * the last one (a caller hashing them works while the disk does).
 */
async function readParts(
  descriptor: number,
  size: number,
  options: ArtifactReadWholeOptions | undefined,
): Promise<Uint8Array> {
  const target = Buffer.allocUnsafeSlow(size)
  const readPart = (offset: number): Promise<number> =>
    new Promise((resolve, reject) => {
      read(descriptor, target, offset, Math.min(READ_PART, size - offset), offset, (error, bytesRead) =>
        error ? reject(error) : resolve(bytesRead),
      )
    })
  let offset = 0
  let pending: Promise<number> | undefined = readPart(0)
  try {
    while (pending) {
      const bytesRead = await pending
      // Cut short since its stat: the bytes that are there (the caller's digest check refuses them).
      if (bytesRead === 0) return target.subarray(0, offset)
      const part = target.subarray(offset, offset + bytesRead)
      offset += bytesRead
      options?.signal?.throwIfAborted()
      pending = offset < size ? readPart(offset) : undefined
      options?.onPart?.(part)
    }
    return target
  } finally {
    // The caller closes the file: never while a read of it is under way.
    await pending?.catch(() => {})
  }
}

/** Writes a buffer in as few calls as the system allows (`writeFile` on a handle makes one per 512 KiB). */
async function writeAll(
  handle: Awaited<ReturnType<typeof open>>,
  body: Uint8Array,
  signal: AbortSignal | undefined,
): Promise<void> {
  let offset = 0
  while (offset < body.byteLength) {
    signal?.throwIfAborted()
    const { bytesWritten } = await handle.write(body, offset, Math.min(WRITE_PART, body.byteLength - offset))
    offset += bytesWritten
  }
}

async function* once(chunk: Uint8Array): AsyncGenerator<Uint8Array> {
  if (chunk.byteLength > 0) yield chunk
}
