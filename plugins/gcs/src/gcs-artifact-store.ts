import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import {
  type Bucket,
  type File,
  IdempotencyStrategy,
  RETRYABLE_ERR_FN_DEFAULT,
  Storage,
  type StorageOptions,
} from '@google-cloud/storage'
import {
  type ArtifactBody,
  type ArtifactCallOptions,
  type ArtifactListOptions,
  type ArtifactListPage,
  type ArtifactReadWholeOptions,
  type ArtifactStat,
  type ArtifactStoreV1,
  abortableSource,
  artifactNotFound,
  assertSecretsResolved,
  type BucketPath,
  BucketStoreErrors,
  bucketObjectKey,
  formatBucketUri,
  type Logger,
  StrataError,
} from '@strata/core'
import { type GcsArtifactStoreConfig, parseGcsPath } from './gcs-artifact-store-flavor.js'
import { GCS_ERRORS, httpStatus } from './gcs-errors.js'
import { isTimedOut, type RequestIdleTimeout, requestIdleTimeout } from './request-timeouts.js'

const MAX_PAGE = 1000
const DELETE_CONCURRENCY = 16
const CONTENT_TYPE = 'application/octet-stream'
/** Streams that end within this many bytes go up in one simple request, without a resumable session. */
const SINGLE_REQUEST_LIMIT = 8 * 1024 * 1024

export interface GcsArtifactStoreOptions {
  /** The component's name, for messages. @default 'gcp' */
  name?: string
  /** A client to use instead of building one. */
  client?: Storage
  logger?: Logger
}

/**
 * An artifact store in a Cloud Storage bucket. Values up to 8 MiB go up in a single request; larger
 * streams use a resumable upload, streamed in one request (or `chunkSize` bytes at a time), so memory
 * stays bounded and an object appears only when the upload is committed. The client is built on first use.
 */
export class GcsArtifactStore implements ArtifactStoreV1 {
  readonly apiVersion = 1
  readonly uri: string
  readonly #config: GcsArtifactStoreConfig
  readonly #root: BucketPath
  readonly #errors: BucketStoreErrors
  readonly #credentials: Record<string, unknown> | undefined
  #client: Storage | undefined
  #idleTimeout: RequestIdleTimeout | undefined

  constructor(config: GcsArtifactStoreConfig, options: GcsArtifactStoreOptions = {}) {
    const root = parseGcsPath(config.path)
    if (typeof root === 'string')
      throw new StrataError('INVALID_CONFIG', `artifact_store/gcp config: 'path' ${root}`)
    const name = options.name ?? 'gcp'
    const key = config.serviceAccountKey
    assertSecretsResolved(`artifact store '${name}'`, { serviceAccountKey: key })
    this.#credentials = key === undefined ? undefined : parseServiceAccountKey(key, name)
    this.#config = config
    this.#root = root
    this.uri = formatBucketUri(root)
    this.#client = options.client
    this.#errors = new BucketStoreErrors({
      ...GCS_ERRORS,
      identity: {
        label: `artifact store '${name}' (${this.uri})`,
        bucket: root.bucket,
        endpoint: config.apiEndpoint ?? 'https://storage.googleapis.com',
        secrets: [key, this.#credentials?.private_key, this.#credentials?.private_key_id].filter(
          (value): value is string => typeof value === 'string',
        ),
      },
      flavor: 'gcp',
      ...(options.logger ? { logger: options.logger } : {}),
      isNotFound: (error) => httpStatus(error) === 404,
      bucketExists: () => this.#bucketExists(),
    })
  }

  async write(key: string, body: ArtifactBody, options?: ArtifactCallOptions): Promise<ArtifactStat> {
    const file = this.#bucket().file(this.#objectKey(key))
    const counter = { bytes: 0 }
    await this.#errors.guardWrite(
      key,
      options?.signal,
      () => this.#upload(file, body, counter, options?.signal),
      () => file.delete({ ignoreNotFound: true }),
    )
    return { size: counter.bytes }
  }

  /** Pins the generation it found, so the bytes read are the ones that existed when `read` resolved. */
  async read(key: string, options?: ArtifactCallOptions): Promise<AsyncIterable<Uint8Array>> {
    const { stream } = await this.#open(key, options?.signal)
    return this.#errors.guardRead(stream, key, options?.signal)
  }

  /**
   * One download, its body copied as it arrives into a buffer of the object's size (from the metadata the
   * read asks for first: no joining of chunks, no second copy), handed on in parts for the caller to hash
   * while the rest arrives.
   */
  async readWhole(key: string, options?: ArtifactReadWholeOptions): Promise<Uint8Array> {
    const { stream, size } = await this.#open(key, options?.signal)
    return this.#errors.readWhole(stream, size, key, options)
  }

  /** The object's stream, pinned to the generation whose metadata (and size) it read first. */
  async #open(key: string, signal: AbortSignal | undefined) {
    const objectKey = this.#objectKey(key)
    let generation: string | number | undefined
    let size: number | undefined
    try {
      signal?.throwIfAborted()
      const [metadata] = await this.#bucket().file(objectKey).getMetadata()
      generation = metadata.generation
      size = metadata.size === undefined ? undefined : Number(metadata.size)
    } catch (error) {
      if (await this.#errors.isMissingKey(error)) throw artifactNotFound(this.uri, key)
      throw await this.#errors.failure(error, 'read', key)
    }
    const file = this.#bucket().file(
      objectKey,
      generation === undefined ? {} : { generation: Number(generation) },
    )
    const stream = file.createReadStream({ validation: 'crc32c' })
    // The client's transport (teeny-request on node-fetch) hangs more than ten listeners on one response
    // body (its own, node-fetch's, a pipeline's): Node then warns of a leak on every read, into a step's log.
    stream.once('response', (response: { body?: { setMaxListeners?: (n: number) => unknown } }) =>
      response?.body?.setMaxListeners?.(32),
    )
    return { stream, size }
  }

  async stat(key: string, options?: ArtifactCallOptions): Promise<ArtifactStat | undefined> {
    try {
      options?.signal?.throwIfAborted()
      const [metadata] = await this.#bucket().file(this.#objectKey(key)).getMetadata()
      return {
        size: Number(metadata.size ?? 0),
        ...(metadata.updated ? { modifiedAt: new Date(metadata.updated) } : {}),
      }
    } catch (error) {
      if (await this.#errors.isMissingKey(error)) return undefined
      throw await this.#errors.failure(error, 'stat', key)
    }
  }

  async exists(key: string, options?: ArtifactCallOptions): Promise<boolean> {
    return (await this.stat(key, options)) !== undefined
  }

  async list(
    prefix: string,
    options: ArtifactListOptions & ArtifactCallOptions = {},
  ): Promise<ArtifactListPage> {
    const limit = Math.min(Math.max(1, options.limit ?? MAX_PAGE), MAX_PAGE)
    const rootLength = this.#objectKey('').length
    try {
      options.signal?.throwIfAborted()
      const [files, next] = await this.#bucket().getFiles({
        prefix: this.#objectKey(prefix),
        maxResults: limit,
        autoPaginate: false,
        ...(options.cursor === undefined ? {} : { pageToken: options.cursor }),
      })
      this.#errors.bucketSeen()
      const entries = files
        // Folder placeholders made by consoles ("a/b/") are not artifacts.
        .filter((file) => !file.name.endsWith('/'))
        .map((file) => ({ key: file.name.slice(rootLength), size: Number(file.metadata.size ?? 0) }))
      const cursor = (next as { pageToken?: string } | null | undefined)?.pageToken
      return cursor ? { entries, cursor } : { entries }
    } catch (error) {
      throw await this.#errors.failure(error, 'list', prefix)
    }
  }

  async delete(key: string, options?: ArtifactCallOptions): Promise<void> {
    try {
      options?.signal?.throwIfAborted()
      await this.#bucket().file(this.#objectKey(key)).delete({ ignoreNotFound: true })
    } catch (error) {
      throw await this.#errors.failure(error, 'delete', key)
    }
  }

  async deletePrefix(prefix: string, options?: ArtifactCallOptions): Promise<number> {
    let deleted = 0
    let cursor: string | undefined
    do {
      const page = await this.list(prefix, { ...options, ...(cursor === undefined ? {} : { cursor }) })
      cursor = page.cursor
      const queue = [...page.entries]
      const worker = async (): Promise<void> => {
        for (let entry = queue.shift(); entry !== undefined; entry = queue.shift()) {
          await this.delete(entry.key, options)
          deleted++
        }
      }
      await Promise.all(Array.from({ length: Math.min(DELETE_CONCURRENCY, queue.length) }, worker))
    } while (cursor !== undefined)
    return deleted
  }

  /** Server-side (the rewrite API, looped by the client until done). */
  async copy(from: string, to: string, options?: ArtifactCallOptions): Promise<void> {
    try {
      options?.signal?.throwIfAborted()
      await this.#bucket()
        .file(this.#objectKey(from))
        .copy(this.#bucket().file(this.#objectKey(to)))
    } catch (error) {
      if (await this.#errors.isMissingKey(error)) throw artifactNotFound(this.uri, from)
      throw await this.#errors.failure(error, 'copy', from)
    }
  }

  /** Lists the root, then writes and deletes a probe object: reachability, credentials, list and write rights. */
  async verify(options?: ArtifactCallOptions): Promise<void> {
    await this.list('', { limit: 1, ...options })
    const probe = this.#bucket().file(this.#objectKey(`.strata-verify-${randomBytes(6).toString('hex')}`))
    try {
      await probe.save('ok', { resumable: false, contentType: 'text/plain' })
      await probe.delete({ ignoreNotFound: true })
    } catch (error) {
      throw await this.#errors.failure(error, 'verify (write a probe object)', probe.name)
    }
  }

  async close(): Promise<void> {
    // @google-cloud/storage keeps no sockets of its own to release; forget the client so a reuse rebuilds it.
    this.#client = undefined
    this.#idleTimeout?.release()
    this.#idleTimeout = undefined
  }

  #objectKey(key: string): string {
    return bucketObjectKey(this.#root, key)
  }

  #bucket(): Bucket {
    this.#client ??= this.#buildClient()
    return this.#client.bucket(this.#root.bucket)
  }

  #buildClient(): Storage {
    const client = new Storage(this.#clientOptions())
    // The client's own `timeout` never reaches the wire (see request-timeouts.ts): mark every request of
    // this client, so that each gets an idle timeout of `timeoutMs` as Node creates it.
    const idleTimeout = requestIdleTimeout(this.#config.timeoutMs)
    this.#idleTimeout = idleTimeout
    type Interceptor = Storage['interceptors'][number]
    client.interceptors.push({
      // Typed as JSON API requests, but resumable uploads run their options through it too (from `{}`).
      request: (requestOptions) => {
        const headers = requestOptions.headers
        if (headers instanceof Headers) {
          for (const [name, value] of Object.entries(idleTimeout.headers)) headers.set(name, value)
          return requestOptions as ReturnType<Interceptor['request']>
        }
        return { ...requestOptions, headers: { ...headers, ...idleTimeout.headers } } as ReturnType<
          Interceptor['request']
        >
      },
    })
    return client
  }

  #clientOptions(): StorageOptions {
    const config = this.#config
    return {
      ...(config.projectId === undefined ? {} : { projectId: config.projectId }),
      ...(config.apiEndpoint === undefined ? {} : { apiEndpoint: config.apiEndpoint }),
      ...(this.#credentials === undefined ? {} : { credentials: this.#credentials }),
      timeout: config.timeoutMs,
      retryOptions: {
        autoRetry: config.maxRetries > 0,
        maxRetries: Math.max(1, config.maxRetries),
        // Strata never writes different bytes to an existing key (every version gets a fresh prefix), so
        // repeating an upload or a delete is always safe: retry them without preconditions.
        idempotencyStrategy: IdempotencyStrategy.RetryAlways,
        // A request that stalled past `timeoutMs` is as transient as a reset connection (the default
        // predicate retries ECONNRESET, not ETIMEDOUT).
        retryableErrorFn: (error) => RETRYABLE_ERR_FN_DEFAULT(error) || isTimedOut(error),
      },
      ...(config.clientOptions as Partial<StorageOptions> | undefined),
    }
  }

  /** One request (small values) or a resumable upload streamed in one request (or `chunkSize` pieces). */
  async #upload(
    file: File,
    body: ArtifactBody,
    counter: { bytes: number },
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const single = { resumable: false, validation: 'crc32c', contentType: CONTENT_TYPE } as const
    if (typeof body === 'string' || body instanceof Uint8Array) {
      const bytes = typeof body === 'string' ? Buffer.from(body) : body
      counter.bytes = bytes.byteLength
      await file.save(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), single)
      return
    }
    const chunks = abortableSource(body, counter, signal)[Symbol.asyncIterator]()
    const head = await readHead(chunks, this.#config.chunkSize ?? SINGLE_REQUEST_LIMIT)
    // Small enough for one request: no resumable session to open.
    if (head.done) return file.save(Buffer.concat(head.chunks), single)
    const source = Readable.from(concatenate(head.chunks, chunks), { objectMode: false })
    try {
      // A failing or aborted source destroys the upload stream before its final chunk: the resumable
      // session is never committed, so no object appears (GCS discards the session after a week).
      await pipeline(
        source,
        file.createWriteStream({
          resumable: true,
          ...(this.#config.chunkSize === undefined ? {} : { chunkSize: this.#config.chunkSize }),
          validation: 'crc32c',
          contentType: CONTENT_TYPE,
        }),
      )
    } finally {
      source.destroy()
    }
  }

  /** Asks the server (no memory: `BucketStoreErrors` remembers a yes). */
  async #bucketExists(): Promise<boolean> {
    try {
      const [exists] = await this.#bucket().exists()
      return exists
    } catch (error) {
      throw this.#errors.map(error, 'check the bucket')
    }
  }
}

/** Parses the key's JSON without ever quoting it: `JSON.parse` messages include a snippet of the input. */
function parseServiceAccountKey(json: string, name: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(json)
    if (typeof parsed === 'object' && parsed !== null) return parsed as Record<string, unknown>
  } catch {}
  throw new StrataError(
    'INVALID_CONFIG',
    `artifact store '${name}': 'serviceAccountKey' is not a service-account key's JSON — paste the whole key file (or reference a secret holding it)`,
  )
}

/** Up to `limit` bytes from the start of a stream, and whether that was all of it. */
async function readHead(
  chunks: AsyncIterator<Uint8Array>,
  limit: number,
): Promise<{ chunks: Uint8Array[]; done: boolean }> {
  const head: Uint8Array[] = []
  let size = 0
  while (size <= limit) {
    const next = await chunks.next()
    if (next.done) return { chunks: head, done: true }
    head.push(next.value)
    size += next.value.byteLength
  }
  return { chunks: head, done: false }
}

async function* concatenate(head: Uint8Array[], rest: AsyncIterator<Uint8Array>): AsyncGenerator<Uint8Array> {
  let finished = false
  try {
    // Shifted out, not iterated: the head's chunks must not stay referenced for the rest of the upload.
    for (let chunk = head.shift(); chunk !== undefined; chunk = head.shift()) yield chunk
    for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value
    finished = true
  } finally {
    // Stopped early (the upload failed): let the source clean up too.
    if (!finished) void Promise.resolve(rest.return?.()).catch(() => {})
  }
}
