import { normalizeArtifactKey, normalizeArtifactPrefix } from './artifact-key.js'
import type {
  ArtifactBody,
  ArtifactCallOptions,
  ArtifactLeftover,
  ArtifactListEntry,
  ArtifactListOptions,
  ArtifactListPage,
  ArtifactReadWholeOptions,
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
  /**
   * The longest a call may go without progress, in ms: without an answer, or for a streamed write or read
   * without a chunk moving. Such a call fails with `ARTIFACT_STORE_TIMEOUT` and its signal is aborted, so a
   * stalled store or filesystem cannot hang a run. A slow but moving transfer is never cut off.
   * @default 300_000 (5 minutes)
   */
  timeoutMs?: number
  /**
   * The bound on {@link ArtifactStoreHost.verify} (`strata stack validate`), which moves a few bytes.
   * @default 30_000, or `timeoutMs` when that is shorter
   */
  verifyTimeoutMs?: number
}

const DEFAULT_TIMEOUT_MS = 300_000
const DEFAULT_VERIFY_TIMEOUT_MS = 30_000

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`
}

/**
 * One call's bound: fails `expired` (and aborts `signal`) once `timeoutMs` passed without progress. Its
 * timer keeps the process alive on purpose: a call that never settles must fail, not let the process
 * exit with the work half done. `pause()` while the call waits on its caller (a write's source).
 */
class CallBound {
  readonly signal: AbortSignal
  readonly expired: Promise<never>
  readonly #controller = new AbortController()
  readonly #timeoutMs: number
  readonly #error: () => StrataError
  #reject: (error: StrataError) => void = () => {}
  #timer: NodeJS.Timeout | undefined

  constructor(timeoutMs: number, error: () => StrataError, callerSignal?: AbortSignal) {
    this.#timeoutMs = timeoutMs
    this.#error = error
    this.signal = callerSignal
      ? AbortSignal.any([callerSignal, this.#controller.signal])
      : this.#controller.signal
    this.expired = new Promise<never>((_, reject) => {
      this.#reject = reject
    })
    this.expired.catch(() => {})
    this.resume()
  }

  /** Starts the wait again (progress was made, or the caller handed over). */
  resume(): void {
    clearTimeout(this.#timer)
    this.#timer = setTimeout(() => {
      const failure = this.#error()
      this.#controller.abort(failure)
      this.#reject(failure)
    }, this.#timeoutMs)
  }

  pause(): void {
    clearTimeout(this.#timer)
  }
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
  /** See {@link ArtifactStoreHostOptions.timeoutMs}. */
  readonly timeoutMs: number
  readonly #verifyTimeoutMs: number
  readonly #logger: Logger

  constructor(store: ArtifactStoreV1, options: ArtifactStoreHostOptions) {
    this.store = store
    this.name = options.name
    this.flavor = options.flavor
    this.#logger = options.logger ?? silentLogger
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
    this.#verifyTimeoutMs = options.verifyTimeoutMs ?? Math.min(DEFAULT_VERIFY_TIMEOUT_MS, this.timeoutMs)
  }

  get uri(): string {
    return this.store.uri
  }

  /** Writes a value; visible only once complete (see {@link ArtifactStoreV1.write}). */
  async write(key: string, body: ArtifactBody, options?: ArtifactCallOptions): Promise<ArtifactStat> {
    const checked = normalizeArtifactKey(key)
    return this.#call(
      'write',
      checked,
      (signal, bound) =>
        this.store.write(
          checked,
          typeof body === 'string' || body instanceof Uint8Array ? body : touching(body, bound),
          { signal },
        ),
      options,
    )
  }

  /**
   * Opens `key` for streaming; the stream fails with `ARTIFACT_STORE_TIMEOUT` when no chunk arrives within
   * the bound.
   * @throws StrataError `ARTIFACT_NOT_FOUND`
   */
  async read(key: string, options?: ArtifactCallOptions): Promise<AsyncIterable<Uint8Array>> {
    const checked = normalizeArtifactKey(key)
    const body = await this.#call('read', checked, (signal) => this.store.read(checked, { signal }), options)
    return this.#boundStream(body, checked, options?.signal)
  }

  /**
   * Reads a whole value into memory, `onPart` seeing each part as it arrives: into one buffer of the
   * value's size when the store can (`readWhole`), else by joining the stream's chunks (one chunk is
   * handed on as it is). Bounded like {@link read}: the bound restarts with every part.
   * @throws StrataError `ARTIFACT_NOT_FOUND`
   */
  async readBytes(key: string, options?: ArtifactReadWholeOptions): Promise<Uint8Array> {
    const readWhole = this.store.readWhole?.bind(this.store)
    if (!readWhole) {
      const chunks: Uint8Array[] = []
      for await (const chunk of await this.read(key, options)) {
        options?.onPart?.(chunk)
        chunks.push(chunk)
      }
      return chunks.length === 1 && chunks[0] ? chunks[0] : Buffer.concat(chunks)
    }
    const checked = normalizeArtifactKey(key)
    return this.#call(
      'read',
      checked,
      (signal, bound) =>
        readWhole(checked, {
          signal,
          onPart: (part) => {
            bound.resume()
            options?.onPart?.(part)
          },
        }),
      options?.signal ? { signal: options.signal } : undefined,
    )
  }

  async readText(key: string, options?: ArtifactCallOptions): Promise<string> {
    return new TextDecoder().decode(await this.readBytes(key, options))
  }

  async stat(key: string, options?: ArtifactCallOptions): Promise<ArtifactStat | undefined> {
    const checked = normalizeArtifactKey(key)
    return this.#call('stat', checked, (signal) => this.store.stat(checked, { signal }), options)
  }

  async exists(key: string, options?: ArtifactCallOptions): Promise<boolean> {
    const checked = normalizeArtifactKey(key)
    return this.#call(
      'exists',
      checked,
      async (signal) => {
        if (this.store.exists) return this.store.exists(checked, { signal })
        return (await this.store.stat(checked, { signal })) !== undefined
      },
      options,
    )
  }

  async list(prefix: string, options?: ArtifactListOptions & ArtifactCallOptions): Promise<ArtifactListPage> {
    const checked = normalizeArtifactPrefix(prefix)
    const { signal: callerSignal, ...page } = options ?? {}
    return this.#call(
      'list',
      checked,
      (signal) => this.store.list(checked, { ...page, signal }),
      callerSignal ? { signal: callerSignal } : undefined,
    )
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
    return this.#call('delete', checked, (signal) => this.store.delete(checked, { signal }), options)
  }

  async deletePrefix(prefix: string, options?: ArtifactCallOptions): Promise<number> {
    const checked = normalizeArtifactPrefix(prefix)
    if (checked === '') {
      throw new StrataError(
        'INVALID_ARTIFACT_KEY',
        `refusing to delete everything in artifact store '${this.name}' — pass a non-empty prefix`,
      )
    }
    return this.#call(
      'deletePrefix',
      checked,
      (signal) => this.store.deletePrefix(checked, { signal }),
      options,
    )
  }

  /** Copies one object, server-side when the store can. */
  async copy(from: string, to: string, options?: ArtifactCallOptions): Promise<void> {
    const source = normalizeArtifactKey(from)
    const target = normalizeArtifactKey(to)
    return this.#call(
      'copy',
      source,
      async (signal, bound) => {
        if (this.store.copy) return this.store.copy(source, target, { signal })
        await this.store.write(target, touching(await this.store.read(source, { signal }), bound), {
          signal,
        })
      },
      options,
    )
  }

  /** The local file path of `key` when the store lives on this machine's filesystem. */
  localPath(key: string): string | undefined {
    return this.store.localPath?.(normalizeArtifactKey(key))
  }

  /**
   * Checks reachability and credentials when the store can; otherwise lists the root once. Bounded by
   * `verifyTimeoutMs`.
   */
  async verify(options?: ArtifactCallOptions): Promise<void> {
    await this.#call(
      'verify',
      '',
      async (signal) => {
        if (this.store.verify) await this.store.verify({ signal })
        else await this.store.list('', { signal, limit: 1 })
      },
      options,
      this.#verifyTimeoutMs,
    )
  }

  /** The temporary objects writes left behind (none when the store has no such capability). */
  async *leftovers(options?: ArtifactCallOptions): AsyncGenerator<ArtifactLeftover> {
    if (!this.store.leftovers) return
    const listing = this.store.leftovers(options)
    yield* this.#boundStream(listing, '', options?.signal, 'leftovers') as AsyncIterable<ArtifactLeftover>
  }

  /** Removes one temporary object that {@link leftovers} listed. */
  async removeLeftover(key: string, options?: ArtifactCallOptions): Promise<void> {
    const checked = normalizeArtifactKey(key)
    const remove = this.store.removeLeftover?.bind(this.store)
    if (!remove) return
    await this.#call('removeLeftover', checked, (signal) => remove(checked, { signal }), options)
  }

  async close(): Promise<void> {
    await this.store.close?.()
  }

  #timeout(operation: string, key: string, timeoutMs: number): StrataError {
    return new StrataError(
      'ARTIFACT_STORE_TIMEOUT',
      `artifact store '${this.name}' (${this.flavor}): ${operation}${key ? ` '${key}'` : ''} made no progress for ${seconds(timeoutMs)} (its bound) — check that the store is reachable${this.flavor === 'local' ? ' and that its filesystem answers' : ''}, or raise the bound (STRATA_ARTIFACT_STORE_TIMEOUT_MS)`,
      { details: { operation, key, timeoutMs } },
    )
  }

  /**
   * Passes a stream's chunks on, failing it when the store takes longer than the bound to deliver the
   * next one (the time a consumer spends between chunks does not count).
   */
  async *#boundStream<T>(
    source: AsyncIterable<T>,
    key: string,
    callerSignal: AbortSignal | undefined,
    operation = 'read',
  ): AsyncGenerator<T> {
    const iterator = source[Symbol.asyncIterator]()
    let finished = false
    try {
      for (;;) {
        callerSignal?.throwIfAborted()
        let timer: NodeJS.Timeout | undefined
        const expired = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(this.#timeout(operation, key, this.timeoutMs)), this.timeoutMs)
        })
        const next = await Promise.race([iterator.next(), expired]).finally(() => clearTimeout(timer))
        if (next.done) {
          finished = true
          return
        }
        yield next.value
      }
    } finally {
      // A stream stuck in next() would hold return() until it yields: don't wait for it.
      if (!finished) void Promise.resolve(iterator.return?.()).catch(() => {})
    }
  }

  async #call<T>(
    operation: string,
    key: string,
    fn: (signal: AbortSignal, bound: CallBound) => Promise<T>,
    options?: ArtifactCallOptions,
    timeoutMs: number = this.timeoutMs,
  ): Promise<T> {
    // hrtime, not performance.now(): the first use of `performance` loads perf_hooks, a few ms of the start-up
    // of a command that reads one file (`strata pipeline runs logs`).
    const started = process.hrtime.bigint()
    const bound = new CallBound(timeoutMs, () => this.#timeout(operation, key, timeoutMs), options?.signal)
    try {
      const result = await Promise.race([fn(bound.signal, bound), bound.expired])
      this.#logger.debug(`artifact_store.${operation}`, {
        store: this.name,
        key,
        ms: Math.round(Number(process.hrtime.bigint() - started) / 1e4) / 100,
      })
      return result
    } catch (error) {
      // A store that honours its signal fails with the abort's reason: the caller's, or the timeout.
      if (isStrataError(error)) throw error
      if (bound.signal.aborted && error === bound.signal.reason) throw error
      throw new StrataError(
        'ARTIFACT_STORE_ERROR',
        `artifact store '${this.name}' (${this.flavor}): ${operation} '${key}' failed: ${errorMessage(error)} — check that the store is reachable and its credentials allow this`,
        { cause: error },
      )
    } finally {
      bound.pause()
    }
  }
}

/**
 * A write's body: the call's bound runs while the store works on a chunk and pauses while the store
 * waits for the next one from the caller's source (a slow producer is not a stalled store).
 */
async function* touching(body: AsyncIterable<Uint8Array>, bound: CallBound): AsyncGenerator<Uint8Array> {
  const iterator = body[Symbol.asyncIterator]()
  let finished = false
  try {
    for (;;) {
      bound.pause()
      const next = await iterator.next()
      bound.resume()
      if (next.done) {
        finished = true
        return
      }
      yield next.value
    }
  } finally {
    if (!finished) await iterator.return?.()
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
