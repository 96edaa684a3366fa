import { errorMessage, isStrataError, StrataError } from './errors.js'
import { type Logger, silentLogger } from './logger.js'
import { redactError, redactText } from './redact-secrets.js'

/** The codes an artifact store kept in a bucket (S3, Cloud Storage, ...) fails with. */
export type BucketStoreErrorCode =
  | 'ARTIFACT_STORE_ABORTED'
  | 'ARTIFACT_STORE_BUCKET_NOT_FOUND'
  | 'ARTIFACT_STORE_CREDENTIALS_REJECTED'
  | 'ARTIFACT_STORE_CREDENTIALS_MISSING'
  | 'ARTIFACT_STORE_ACCESS_DENIED'
  | 'ARTIFACT_STORE_WRONG_REGION'
  | 'ARTIFACT_STORE_UNREACHABLE'
  | 'ARTIFACT_STORE_UPLOAD_INTERRUPTED'
  | 'ARTIFACT_STORE_ERROR'

/** What an error message needs to name the store; `secrets` are scrubbed from everything it carries. */
export interface BucketStoreIdentity {
  /** `artifact store 'name' (s3://bucket/prefix)`, the start of every message. */
  label: string
  bucket: string
  /** The server, as messages name it: the configured endpoint, or e.g. `AWS S3 in eu-west-1`. */
  endpoint: string
  secrets: readonly string[]
}

/** A vendor failure as {@link VendorErrorMapping.classify} sees it: scrubbed of every secret value. */
export interface VendorFailure {
  /** The vendor error, secret values replaced by `********` (in place). */
  readonly cause: unknown
  /** Its message, scrubbed. */
  readonly text: string
  /** The first Node system error code (`ECONNREFUSED`) in it, its `cause`s or its aggregated errors. */
  readonly systemCode: string | undefined
  /** The call, e.g. `write 'a/b'` or `list`. */
  readonly what: string
  /** `${what} in bucket '${bucket}'`, how most messages start after the store's label. */
  readonly whatInBucket: string
  readonly identity: BucketStoreIdentity
  /** An error with this code and message (after the store's label), the vendor error as `cause`. */
  fail(code: BucketStoreErrorCode, message: string): StrataError
  /** `ARTIFACT_STORE_BUCKET_NOT_FOUND` with the command that creates the bucket. */
  bucketNotFound(): StrataError
  /** `ARTIFACT_STORE_UNREACHABLE`, showing `reason` (a system error code, a vendor timeout) in parentheses. */
  unreachable(reason: string): StrataError
}

/** How one vendor's failures read. The mapping handles aborts, network failures and everything else. */
export interface VendorErrorMapping {
  /** The command that creates a bucket, named in `ARTIFACT_STORE_BUCKET_NOT_FOUND`: `aws s3 mb s3://b`. */
  createBucketCommand(bucket: string): string
  /** The config fields that say where the server is, named in `ARTIFACT_STORE_UNREACHABLE`: `'apiEndpoint'`. */
  endpointFields: string
  /**
   * The vendor's own answers (credentials, permissions, regions, missing buckets, vendor timeouts), tried
   * in order after an abort and before Node's network errors; `undefined` falls through.
   */
  classify(failure: VendorFailure): StrataError | undefined
  /** A short vendor detail shown with `ARTIFACT_STORE_ERROR`, e.g. `HTTP 500` or a vendor error code. */
  detail?(failure: VendorFailure): string | undefined
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
])

interface Nested {
  code?: unknown
  cause?: unknown
  errors?: unknown[]
}

/** The first Node system error code (`ECONNREFUSED`) in an error, its `cause`s and aggregated errors. */
function systemErrorCode(error: unknown, depth = 0): string | undefined {
  if (depth > 5 || typeof error !== 'object' || error === null) return undefined
  const nested = error as Nested
  if (typeof nested.code === 'string' && /^E[A-Z_]+$|^UND_ERR/.test(nested.code)) return nested.code
  return (
    systemErrorCode(nested.cause, depth + 1) ??
    (Array.isArray(nested.errors) ? systemErrorCode(nested.errors[0], depth + 1) : undefined)
  )
}

/** The message of a bucket that does not exist, with how to create it. */
function bucketNotFound(identity: BucketStoreIdentity, mapping: VendorErrorMapping, cause: unknown) {
  return new StrataError(
    'ARTIFACT_STORE_BUCKET_NOT_FOUND',
    `${identity.label}: bucket '${identity.bucket}' does not exist at ${identity.endpoint} — create it (e.g. '${mapping.createBucketCommand(identity.bucket)}') or fix the component's 'path'`,
    { cause: redactError(cause, identity.secrets), details: { bucket: identity.bucket } },
  )
}

/**
 * Turns a vendor (or network) failure into a `StrataError` that names the store, the bucket, the call
 * and the likely fix, with the vendor error — scrubbed of secret values — as `cause`. A `StrataError`
 * passes through unchanged.
 */
export function mapBucketStoreError(
  error: unknown,
  identity: BucketStoreIdentity,
  mapping: VendorErrorMapping,
  operation: string,
  key?: string,
): StrataError {
  if (isStrataError(error)) return error
  const cause = redactError(error, identity.secrets)
  const what = key === undefined ? operation : `${operation} '${key}'`
  const details = { bucket: identity.bucket, operation, ...(key === undefined ? {} : { key }) }
  const whatInBucket = `${what} in bucket '${identity.bucket}'`
  const fail = (code: BucketStoreErrorCode, message: string): StrataError =>
    new StrataError(code, `${identity.label}: ${message}`, { cause, details })
  const failure: VendorFailure = {
    cause,
    text: redactText(errorMessage(cause), identity.secrets),
    systemCode: systemErrorCode(cause),
    what,
    whatInBucket,
    identity,
    fail,
    bucketNotFound: () => bucketNotFound(identity, mapping, cause),
    unreachable: (reason) =>
      fail(
        'ARTIFACT_STORE_UNREACHABLE',
        `${whatInBucket}: cannot reach ${identity.endpoint} (${reason}) — check ${mapping.endpointFields}, that the server is running and that this machine can reach it`,
      ),
  }
  // An AbortError (a DOMException, or the vendor's own): the caller asked for it, not the network.
  if ((cause as { name?: unknown } | null)?.name === 'AbortError')
    return fail('ARTIFACT_STORE_ABORTED', `${what} was aborted — nothing was stored; retry if needed`)
  const vendor = mapping.classify(failure)
  if (vendor) return vendor
  if (failure.systemCode !== undefined && NETWORK_CODES.has(failure.systemCode))
    return failure.unreachable(failure.systemCode)
  const detail = mapping.detail?.(failure)
  return fail(
    'ARTIFACT_STORE_ERROR',
    `${whatInBucket} failed: ${failure.text}${detail ? ` (${detail})` : ''} — check the store's configuration and that ${identity.endpoint} is healthy`,
  )
}

/** The least a part handed to `onPart` by {@link BucketStoreErrors.readWhole} holds (but the last). */
const WHOLE_PART = 1024 * 1024

/** A vendor's body stream: iterable, and destroyed to release its connection. */
export interface DestroyableStream extends AsyncIterable<unknown> {
  destroy(error?: Error): unknown
}

export interface BucketStoreErrorsOptions extends VendorErrorMapping {
  identity: BucketStoreIdentity
  /** The flavor, for the warning logged when a failure maps to plain `ARTIFACT_STORE_ERROR`: `s3`. */
  flavor: string
  logger?: Logger
  /** True for the vendor's "not found" answers that may mean a missing bucket as well as a missing key. */
  isNotFound(error: unknown): boolean
  /**
   * Asks the server whether the bucket exists (asked until it says yes once). Throws a `StrataError`
   * when it cannot tell.
   */
  bucketExists(signal?: AbortSignal): Promise<boolean>
}

/**
 * The failure handling every bucket store needs, in one place: vendor errors mapped to coded
 * `StrataError`s ({@link mapBucketStoreError}), "no such key" told apart from "no such bucket" (a `HEAD`
 * answers both with the same bodiless 404), reads whose connection breaks midway, and writes that must
 * not leave an object behind when the caller aborted them.
 */
export class BucketStoreErrors {
  readonly identity: BucketStoreIdentity
  readonly #options: BucketStoreErrorsOptions
  readonly #logger: Logger
  #bucketSeen = false

  constructor(options: BucketStoreErrorsOptions) {
    this.identity = options.identity
    this.#options = options
    this.#logger = options.logger ?? silentLogger
  }

  /** Maps a failure at once (see {@link mapBucketStoreError}). */
  map(error: unknown, operation: string, key?: string): StrataError {
    return mapBucketStoreError(error, this.identity, this.#options, operation, key)
  }

  /** @returns StrataError `ARTIFACT_STORE_BUCKET_NOT_FOUND` */
  bucketNotFound(cause?: unknown): StrataError {
    return bucketNotFound(this.identity, this.#options, cause)
  }

  /** Records that the bucket exists (a listing answered), so later "not found"s need no check. */
  bucketSeen(): void {
    this.#bucketSeen = true
  }

  /** Whether the bucket exists, asking the server until it has said yes once. */
  async bucketExists(signal?: AbortSignal): Promise<boolean> {
    if (this.#bucketSeen) return true
    const exists = await this.#options.bucketExists(signal)
    if (exists) this.#bucketSeen = true
    return exists
  }

  /** True when `error` says the key is missing from a bucket that exists. */
  async isMissingKey(error: unknown, signal?: AbortSignal): Promise<boolean> {
    return this.#options.isNotFound(error) && (await this.bucketExists(signal))
  }

  /**
   * Maps a failure, telling a missing bucket from a missing key, and logs the ones that map to plain
   * `ARTIFACT_STORE_ERROR` (the vendor said something this mapping does not know).
   */
  async failure(error: unknown, operation: string, key?: string): Promise<StrataError> {
    if (this.#options.isNotFound(error) && !(await this.bucketExists().catch(() => true))) {
      return this.bucketNotFound(error)
    }
    const failure = this.map(error, operation, key)
    if (failure.code === 'ARTIFACT_STORE_ERROR')
      this.#logger.warn(`artifact_store.${this.#options.flavor} call failed`, { operation, key })
    return failure
  }

  /**
   * Streams a read's body: the caller's signal destroys it, a failure midway (a connection lost) becomes
   * a named error instead of a bare `ECONNRESET`, and stopping early releases the connection.
   */
  guardRead(body: DestroyableStream, key: string, signal?: AbortSignal): AsyncIterable<Uint8Array> {
    const onAbort = (): unknown => body.destroy(signal?.reason)
    signal?.addEventListener('abort', onAbort, { once: true })
    const map = (error: unknown): StrataError => this.map(error, 'read', key)
    return (async function* guarded(): AsyncGenerator<Uint8Array> {
      try {
        for await (const chunk of body) yield chunk as Uint8Array
      } catch (error) {
        throw map(error)
      } finally {
        signal?.removeEventListener('abort', onAbort)
        body.destroy()
      }
    })()
  }

  /**
   * Reads a whole object's body (guarded as {@link guardRead}) into one buffer of its announced `size`, each
   * chunk copied into place as it arrives and handed to `onPart` in parts of at least {@link WHOLE_PART}
   * bytes (a caller hashes them while the next ones arrive). Without a size, or when the body turns out
   * longer, the chunks are joined instead; a shorter body gives the bytes that came (the caller's digest
   * check refuses them).
   */
  async readWhole(
    body: DestroyableStream,
    size: number | undefined,
    key: string,
    options?: { signal?: AbortSignal; onPart?(part: Uint8Array): void },
  ): Promise<Uint8Array> {
    const chunks = this.guardRead(body, key, options?.signal)
    const onPart = options?.onPart
    if (size === undefined || !Number.isSafeInteger(size) || size < 0) {
      const parts: Uint8Array[] = []
      for await (const chunk of chunks) {
        onPart?.(chunk)
        parts.push(chunk)
      }
      return Buffer.concat(parts)
    }
    const target = Buffer.allocUnsafeSlow(size)
    let filled = 0
    let handed = 0
    let overflow: Uint8Array[] | undefined
    for await (const chunk of chunks) {
      if (overflow || filled + chunk.byteLength > size) {
        overflow ??= []
        overflow.push(chunk)
        continue
      }
      target.set(chunk, filled)
      filled += chunk.byteLength
      if (filled - handed >= WHOLE_PART) {
        onPart?.(target.subarray(handed, filled))
        handed = filled
      }
    }
    if (filled > handed) onPart?.(target.subarray(handed, filled))
    if (!overflow) return filled === size ? target : target.subarray(0, filled)
    for (const chunk of overflow) onPart?.(chunk)
    return Buffer.concat([target.subarray(0, filled), ...overflow])
  }

  /**
   * Runs an upload so that an aborted call never leaves an object: a failure is mapped (an abort the
   * vendor reports as something else still reads as `ARTIFACT_STORE_ABORTED`), and when the upload
   * committed while the abort was on its way, `remove` takes the object back before the abort is thrown.
   */
  async guardWrite(
    key: string,
    signal: AbortSignal | undefined,
    upload: () => Promise<unknown>,
    remove: () => Promise<unknown>,
  ): Promise<void> {
    try {
      signal?.throwIfAborted()
      await upload()
    } catch (error) {
      if (signal?.aborted) throw this.map(signal.reason, 'write', key)
      throw await this.failure(error, 'write', key)
    }
    if (signal?.aborted) {
      await remove().catch(() => {})
      throw this.map(signal.reason, 'write', key)
    }
  }
}
