import { normalizeArtifactKey, normalizeArtifactPrefix } from './artifact-key.js'
import type {
  ArtifactBody,
  ArtifactCallOptions,
  ArtifactListEntry,
  ArtifactListOptions,
  ArtifactListPage,
  ArtifactStat,
  ArtifactStoreV1,
} from './artifact-store.js'
import { errorMessage, isStrataError, StrataError } from './errors.js'
import { type Logger, silentLogger } from './logger.js'

export interface ArtifactStoreHostOptions {
  /** The component's name, used in error messages. */
  name: string
  /** The flavor, e.g. `s3`. */
  flavor: string
  logger?: Logger
}

/**
 * The only way Strata calls an artifact store: normalises keys and refuses traversal before the store
 * sees them, derives optional capabilities, times and logs each call, and turns vendor failures into
 * `ARTIFACT_STORE_ERROR`s that name the store.
 */
export class ArtifactStoreHost {
  readonly store: ArtifactStoreV1
  readonly name: string
  readonly flavor: string
  readonly #logger: Logger

  constructor(store: ArtifactStoreV1, options: ArtifactStoreHostOptions) {
    this.store = store
    this.name = options.name
    this.flavor = options.flavor
    this.#logger = options.logger ?? silentLogger
  }

  get uri(): string {
    return this.store.uri
  }

  /** Writes a value; visible only once complete (see {@link ArtifactStoreV1.write}). */
  async write(key: string, body: ArtifactBody, options?: ArtifactCallOptions): Promise<ArtifactStat> {
    const checked = normalizeArtifactKey(key)
    return this.#call('write', checked, () => this.store.write(checked, body, options))
  }

  /** @throws StrataError `ARTIFACT_NOT_FOUND` */
  async read(key: string, options?: ArtifactCallOptions): Promise<AsyncIterable<Uint8Array>> {
    const checked = normalizeArtifactKey(key)
    return this.#call('read', checked, () => this.store.read(checked, options))
  }

  /** Reads a whole value into memory. Use {@link read} for large values. */
  async readBytes(key: string, options?: ArtifactCallOptions): Promise<Uint8Array> {
    const chunks: Uint8Array[] = []
    for await (const chunk of await this.read(key, options)) chunks.push(chunk)
    return Buffer.concat(chunks)
  }

  async readText(key: string, options?: ArtifactCallOptions): Promise<string> {
    return new TextDecoder().decode(await this.readBytes(key, options))
  }

  async stat(key: string, options?: ArtifactCallOptions): Promise<ArtifactStat | undefined> {
    const checked = normalizeArtifactKey(key)
    return this.#call('stat', checked, () => this.store.stat(checked, options))
  }

  async exists(key: string, options?: ArtifactCallOptions): Promise<boolean> {
    const checked = normalizeArtifactKey(key)
    return this.#call('exists', checked, async () => {
      if (this.store.exists) return this.store.exists(checked, options)
      return (await this.store.stat(checked, options)) !== undefined
    })
  }

  async list(prefix: string, options?: ArtifactListOptions & ArtifactCallOptions): Promise<ArtifactListPage> {
    const checked = normalizeArtifactPrefix(prefix)
    return this.#call('list', checked, () => this.store.list(checked, options))
  }

  /** Every entry under `prefix`, page after page. */
  async *listAll(prefix: string, options?: ArtifactCallOptions): AsyncGenerator<ArtifactListEntry> {
    let cursor: string | undefined
    do {
      const page = await this.list(prefix, { ...options, ...(cursor === undefined ? {} : { cursor }) })
      yield* page.entries
      cursor = page.cursor
    } while (cursor !== undefined)
  }

  async delete(key: string, options?: ArtifactCallOptions): Promise<void> {
    const checked = normalizeArtifactKey(key)
    return this.#call('delete', checked, () => this.store.delete(checked, options))
  }

  async deletePrefix(prefix: string, options?: ArtifactCallOptions): Promise<number> {
    const checked = normalizeArtifactPrefix(prefix)
    if (checked === '') {
      throw new StrataError(
        'INVALID_ARTIFACT_KEY',
        `refusing to delete everything in artifact store '${this.name}' — pass a non-empty prefix`,
      )
    }
    return this.#call('deletePrefix', checked, () => this.store.deletePrefix(checked, options))
  }

  /** Copies one object, server-side when the store can. */
  async copy(from: string, to: string, options?: ArtifactCallOptions): Promise<void> {
    const source = normalizeArtifactKey(from)
    const target = normalizeArtifactKey(to)
    return this.#call('copy', source, async () => {
      if (this.store.copy) return this.store.copy(source, target, options)
      await this.store.write(target, await this.store.read(source, options), options)
    })
  }

  /** The local file path of `key` when the store lives on this machine's filesystem. */
  localPath(key: string): string | undefined {
    return this.store.localPath?.(normalizeArtifactKey(key))
  }

  /** Checks reachability and credentials when the store can; otherwise lists the root once. */
  async verify(options?: ArtifactCallOptions): Promise<void> {
    await this.#call('verify', '', async () => {
      if (this.store.verify) await this.store.verify(options)
      else await this.store.list('', { ...options, limit: 1 })
    })
  }

  async close(): Promise<void> {
    await this.store.close?.()
  }

  async #call<T>(operation: string, key: string, fn: () => Promise<T>): Promise<T> {
    const started = performance.now()
    try {
      const result = await fn()
      this.#logger.debug(`artifact_store.${operation}`, {
        store: this.name,
        key,
        ms: Math.round((performance.now() - started) * 100) / 100,
      })
      return result
    } catch (error) {
      if (isStrataError(error)) throw error
      throw new StrataError(
        'ARTIFACT_STORE_ERROR',
        `artifact store '${this.name}' (${this.flavor}): ${operation} '${key}' failed: ${errorMessage(error)} — check that the store is reachable and its credentials allow this`,
        { cause: error },
      )
    }
  }
}

/** The error a store throws for a missing key. */
export function artifactNotFound(storeUri: string, key: string): StrataError {
  return new StrataError(
    'ARTIFACT_NOT_FOUND',
    `no artifact at '${key}' in store ${storeUri} — it was never written, or was deleted (see 'strata artifact prune')`,
    { details: { key } },
  )
}
