import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
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
import { parseS3Path, type S3ArtifactStoreConfig } from './s3-artifact-store-flavor.js'
import { s3ClientConfig } from './s3-client-config.js'
import { isMissingBucket, isMissingKey, S3_ERRORS } from './s3-errors.js'

const MAX_PAGE = 1000
const SECRET_FIELDS = ['accessKeyId', 'secretAccessKey', 'sessionToken'] as const

export interface S3ArtifactStoreOptions {
  /** The component's name, for messages. @default 's3' */
  name?: string
  /** A client to use instead of building one; `close()` leaves it open. */
  client?: S3Client
  logger?: Logger
}

/**
 * An artifact store in an S3 bucket (or an S3-compatible server). Writes stream through multipart uploads
 * with bounded memory (a few part buffers per part in flight); an object appears only when its upload
 * completes, and a failed or aborted upload is aborted server-side. The client is built on first use.
 */
export class S3ArtifactStore implements ArtifactStoreV1 {
  readonly apiVersion = 1
  readonly uri: string
  readonly #config: S3ArtifactStoreConfig
  readonly #root: BucketPath
  readonly #errors: BucketStoreErrors
  readonly #ownsClient: boolean
  #client: S3Client | undefined

  constructor(config: S3ArtifactStoreConfig, options: S3ArtifactStoreOptions = {}) {
    const root = parseS3Path(config.path)
    if (typeof root === 'string')
      throw new StrataError('INVALID_CONFIG', `artifact_store/s3 config: 'path' ${root}`)
    const name = options.name ?? 's3'
    const secrets = Object.fromEntries(SECRET_FIELDS.map((field) => [field, config[field]]))
    assertSecretsResolved(`artifact store '${name}'`, secrets)
    this.#config = config
    this.#root = root
    this.uri = formatBucketUri(root)
    this.#client = options.client
    this.#ownsClient = options.client === undefined
    this.#errors = new BucketStoreErrors({
      ...S3_ERRORS,
      identity: {
        label: `artifact store '${name}' (${this.uri})`,
        bucket: root.bucket,
        endpoint: config.endpoint ?? `AWS S3${config.region ? ` in ${config.region}` : ''}`,
        secrets: SECRET_FIELDS.flatMap((field) => config[field] ?? []),
      },
      flavor: 's3',
      ...(options.logger ? { logger: options.logger } : {}),
      isNotFound: isMissingKey,
      bucketExists: (signal) => this.#headBucket(signal),
    })
  }

  async write(key: string, body: ArtifactBody, options?: ArtifactCallOptions): Promise<ArtifactStat> {
    const signal = options?.signal
    const objectKey = this.#objectKey(key)
    const counter = { bytes: 0 }
    let source: Readable | undefined
    let payload: Uint8Array | Readable
    if (typeof body === 'string' || body instanceof Uint8Array) {
      payload = typeof body === 'string' ? Buffer.from(body) : body
      counter.bytes = payload.byteLength
    } else {
      source = Readable.from(abortableSource(body, counter, signal), { objectMode: false })
      payload = source
    }
    try {
      await this.#errors.guardWrite(
        key,
        signal,
        () =>
          new Upload({
            client: this.#s3(),
            params: { Bucket: this.#root.bucket, Key: objectKey, Body: payload },
            partSize: this.#config.partSize,
            queueSize: this.#config.uploadConcurrency,
            // Failed uploads abort their multipart upload, so no parts linger and nothing becomes visible.
            leavePartsOnError: false,
          }).done(),
        () => this.#s3().send(new DeleteObjectCommand({ Bucket: this.#root.bucket, Key: objectKey })),
      )
    } finally {
      source?.destroy()
    }
    return { size: counter.bytes }
  }

  async read(key: string, options?: ArtifactCallOptions): Promise<AsyncIterable<Uint8Array>> {
    try {
      const response = await this.#s3().send(
        new GetObjectCommand({ Bucket: this.#root.bucket, Key: this.#objectKey(key) }),
        { abortSignal: options?.signal },
      )
      return this.#errors.guardRead(response.Body as Readable, key, options?.signal)
    } catch (error) {
      if (isMissingKey(error)) throw artifactNotFound(this.uri, key)
      throw await this.#errors.failure(error, 'read', key)
    }
  }

  /**
   * One GET, its body copied as it arrives into a buffer of the size the response announces (no joining
   * of chunks, no second copy), handed on in parts for the caller to hash while the rest arrives.
   */
  async readWhole(key: string, options?: ArtifactReadWholeOptions): Promise<Uint8Array> {
    let response: GetObjectCommandOutput
    try {
      response = await this.#s3().send(
        new GetObjectCommand({ Bucket: this.#root.bucket, Key: this.#objectKey(key) }),
        { abortSignal: options?.signal },
      )
    } catch (error) {
      if (isMissingKey(error)) throw artifactNotFound(this.uri, key)
      throw await this.#errors.failure(error, 'read', key)
    }
    return this.#errors.readWhole(response.Body as Readable, response.ContentLength, key, options)
  }

  async stat(key: string, options?: ArtifactCallOptions): Promise<ArtifactStat | undefined> {
    try {
      const head = await this.#s3().send(
        new HeadObjectCommand({ Bucket: this.#root.bucket, Key: this.#objectKey(key) }),
        { abortSignal: options?.signal },
      )
      return {
        size: head.ContentLength ?? 0,
        ...(head.LastModified ? { modifiedAt: head.LastModified } : {}),
      }
    } catch (error) {
      // A HEAD answers a missing bucket with the same bodiless 404 as a missing key.
      if (await this.#errors.isMissingKey(error, options?.signal)) return undefined
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
    try {
      const page = await this.#s3().send(
        new ListObjectsV2Command({
          Bucket: this.#root.bucket,
          Prefix: this.#objectKey(prefix),
          MaxKeys: limit,
          ...(options.cursor === undefined ? {} : { ContinuationToken: options.cursor }),
        }),
        { abortSignal: options.signal },
      )
      this.#errors.bucketSeen()
      const rootLength = this.#objectKey('').length
      const entries = (page.Contents ?? [])
        // Folder markers made by consoles ("a/b/") are not artifacts.
        .flatMap((object) =>
          object.Key === undefined || object.Key.endsWith('/')
            ? []
            : [{ key: object.Key.slice(rootLength), size: object.Size ?? 0 }],
        )
      return page.IsTruncated && page.NextContinuationToken
        ? { entries, cursor: page.NextContinuationToken }
        : { entries }
    } catch (error) {
      throw await this.#errors.failure(error, 'list', prefix)
    }
  }

  async delete(key: string, options?: ArtifactCallOptions): Promise<void> {
    try {
      await this.#s3().send(
        new DeleteObjectCommand({ Bucket: this.#root.bucket, Key: this.#objectKey(key) }),
        { abortSignal: options?.signal },
      )
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
      if (page.entries.length === 0) continue
      try {
        const result = await this.#s3().send(
          new DeleteObjectsCommand({
            Bucket: this.#root.bucket,
            Delete: {
              Objects: page.entries.map((entry) => ({ Key: this.#objectKey(entry.key) })),
              Quiet: true,
            },
          }),
          { abortSignal: options?.signal },
        )
        const failed = result.Errors ?? []
        const [first] = failed
        if (first) {
          throw Object.assign(
            new Error(`${failed.length} object(s) were not deleted: ${first.Key}: ${first.Message}`),
            { name: first.Code ?? 'DeleteObjectsError', Code: first.Code },
          )
        }
        deleted += page.entries.length
      } catch (error) {
        throw await this.#errors.failure(error, 'deletePrefix', prefix)
      }
    } while (cursor !== undefined)
    return deleted
  }

  async copy(from: string, to: string, options?: ArtifactCallOptions): Promise<void> {
    const source = `${this.#root.bucket}/${this.#objectKey(from)}`
    try {
      await this.#s3().send(
        new CopyObjectCommand({
          Bucket: this.#root.bucket,
          Key: this.#objectKey(to),
          CopySource: source.split('/').map(encodeURIComponent).join('/'),
        }),
        { abortSignal: options?.signal },
      )
    } catch (error) {
      if (isMissingKey(error)) throw artifactNotFound(this.uri, from)
      throw await this.#errors.failure(error, 'copy', from)
    }
  }

  /** Lists the root, then writes and deletes a probe object: reachability, credentials, list and write rights. */
  async verify(options?: ArtifactCallOptions): Promise<void> {
    await this.list('', { limit: 1, ...options })
    const probe = this.#objectKey(`.strata-verify-${randomBytes(6).toString('hex')}`)
    try {
      const bucket = this.#root.bucket
      await this.#s3().send(new PutObjectCommand({ Bucket: bucket, Key: probe, Body: 'ok' }), {
        abortSignal: options?.signal,
      })
      await this.#s3().send(new DeleteObjectCommand({ Bucket: bucket, Key: probe }), {
        abortSignal: options?.signal,
      })
    } catch (error) {
      throw await this.#errors.failure(error, 'verify (write a probe object)', probe)
    }
  }

  async close(): Promise<void> {
    if (this.#ownsClient) this.#client?.destroy()
    this.#client = undefined
  }

  #objectKey(key: string): string {
    return bucketObjectKey(this.#root, key)
  }

  #s3(): S3Client {
    this.#client ??= new S3Client(s3ClientConfig(this.#config))
    return this.#client
  }

  async #headBucket(signal?: AbortSignal): Promise<boolean> {
    try {
      await this.#s3().send(new HeadBucketCommand({ Bucket: this.#root.bucket }), { abortSignal: signal })
      return true
    } catch (error) {
      if (isMissingKey(error) || isMissingBucket(error)) return false
      throw this.#errors.map(error, 'stat (check the bucket)')
    }
  }
}
