import { randomBytes } from 'node:crypto'
import {
  closeSync,
  createReadStream,
  createWriteStream,
  type Dirent,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { copyFile, mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { pathToFileURL } from 'node:url'
import {
  type ArtifactBody,
  type ArtifactCallOptions,
  type ArtifactListOptions,
  type ArtifactListPage,
  type ArtifactStat,
  type ArtifactStoreV1,
  artifactNotFound,
} from '@strata/core'

/** Partial writes live under this marker until renamed into place; listings never show them. */
const TEMP_MARKER = '.strata-tmp-'
const DEFAULT_PAGE = 1000
/**
 * Values up to this size are written and read with synchronous calls: a step's small artifact then costs a
 * few microseconds of blocking I/O instead of six thread-pool round trips (most of a step's overhead on the
 * default stack). Larger values stream.
 */
const SMALL_VALUE = 1024 * 1024

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code
  return code === 'ENOENT' || code === 'ENOTDIR'
}

/**
 * An artifact store in a directory. Writes go to a temporary file beside the target and are renamed into
 * place, so a reader sees nothing or the whole value. Keys arrive already checked by the host.
 */
export class LocalArtifactStore implements ArtifactStoreV1 {
  readonly apiVersion = 1
  readonly uri: string
  readonly #root: string

  constructor(root: string) {
    this.#root = root
    this.uri = pathToFileURL(root).href
  }

  localPath(key: string): string {
    return join(this.#root, key)
  }

  async write(key: string, body: ArtifactBody, options?: ArtifactCallOptions): Promise<ArtifactStat> {
    const target = this.localPath(key)
    const temp = join(dirname(target), `${TEMP_MARKER}${randomBytes(6).toString('hex')}`)
    if (
      (typeof body === 'string' && body.length <= SMALL_VALUE) ||
      (body instanceof Uint8Array && body.byteLength <= SMALL_VALUE)
    ) {
      options?.signal?.throwIfAborted()
      return writeSmall(target, temp, body)
    }
    await mkdir(dirname(target), { recursive: true })
    try {
      if (typeof body === 'string' || body instanceof Uint8Array) {
        options?.signal?.throwIfAborted()
        const handle = await open(temp, 'wx')
        try {
          await handle.writeFile(body)
        } finally {
          await handle.close()
        }
      } else {
        const source = body instanceof Readable ? body : Readable.from(body, { objectMode: false })
        await pipeline(source, createWriteStream(temp, { flags: 'wx' }), { signal: options?.signal })
      }
      await rename(temp, target)
    } catch (error) {
      await rm(temp, { force: true })
      throw error
    }
    const written = await stat(target)
    return { size: written.size, modifiedAt: written.mtime }
  }

  async read(key: string): Promise<AsyncIterable<Uint8Array>> {
    let descriptor: number | undefined
    try {
      descriptor = openSync(this.localPath(key), 'r')
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
    const temp = join(dirname(target), `${TEMP_MARKER}${randomBytes(6).toString('hex')}`)
    await mkdir(dirname(target), { recursive: true })
    try {
      await copyFile(this.localPath(from), temp)
      await rename(temp, target)
    } catch (error) {
      await rm(temp, { force: true })
      if (isMissing(error)) throw artifactNotFound(this.uri, from)
      throw error
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

/** Writes a small value to a temporary file beside the target and renames it into place. */
function writeSmall(target: string, temp: string, body: string | Uint8Array): ArtifactStat {
  mkdirSync(dirname(target), { recursive: true })
  try {
    writeFileSync(temp, body, { flag: 'wx' })
    renameSync(temp, target)
  } catch (error) {
    rmSync(temp, { force: true })
    throw error
  }
  const size = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength
  return { size, modifiedAt: new Date() }
}

async function* once(chunk: Uint8Array): AsyncGenerator<Uint8Array> {
  if (chunk.byteLength > 0) yield chunk
}
