import { type BucketPath, defineFlavor, parseBucketPath, secret } from '@strata/core'
import { z } from 'zod'

const MIB = 1024 * 1024
const S3_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/

/** Parses `s3://bucket[/prefix]`, or says what is wrong with it (for the config schema's message). */
export function parseS3Path(path: string): BucketPath | string {
  return parseBucketPath(path, 's3', {
    service: 'S3',
    description: "3-63 lower-case letters, digits, '.' and '-'",
    test: (bucket) => S3_BUCKET.test(bucket),
  })
}

export const s3ArtifactStoreConfig = z
  .object({
    path: z
      .string()
      .superRefine((value, context) => {
        const parsed = parseS3Path(value)
        if (typeof parsed === 'string') context.addIssue({ code: 'custom', message: parsed })
      })
      .describe('Where artifacts go: s3://<bucket>/<optional prefix>.'),
    region: z
      .string()
      .min(1)
      .optional()
      .describe(
        "The bucket's AWS region. Default: the SDK's region chain (AWS_REGION, ~/.aws/config), or 'us-east-1' with a custom endpoint.",
      ),
    endpoint: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe(
        'An S3-compatible endpoint (MinIO, Ceph, R2, ...), e.g. http://127.0.0.1:9000. Default: AWS S3.',
      ),
    forcePathStyle: z
      .boolean()
      .optional()
      .describe(
        'Address buckets as <endpoint>/<bucket> instead of <bucket>.<endpoint>. Default: true with a custom endpoint.',
      ),
    accessKeyId: secret(z.string().min(1))
      .optional()
      .describe(
        "AWS access key id. Default: the SDK's credential chain (environment, profile, instance role).",
      ),
    secretAccessKey: secret(z.string().min(1))
      .optional()
      .describe('AWS secret access key (with accessKeyId).'),
    sessionToken: secret(z.string().min(1)).optional().describe('Session token of temporary credentials.'),
    partSize: z
      .int()
      .min(5 * MIB)
      .max(5 * 1024 * MIB)
      .default(8 * MIB)
      .describe(
        "Bytes per multipart upload part. Part buffers dominate an upload's memory (see uploadConcurrency); an object has at most 10,000 parts.",
      ),
    uploadConcurrency: z
      .int()
      .min(1)
      .max(32)
      .default(2)
      .describe(
        'Parts of one upload sent in parallel. Raise it for throughput on high-latency links, at the cost of memory.',
      ),
    maxAttempts: z
      .int()
      .min(1)
      .max(20)
      .default(3)
      .describe('Attempts per request, including the first; transient errors are retried with backoff.'),
    connectTimeoutMs: z.int().min(1).default(5000).describe('Milliseconds to wait for a TCP connection.'),
    requestTimeoutMs: z
      .int()
      .min(1)
      .default(120_000)
      .describe(
        'Milliseconds a request socket may stay idle before the request fails (not a total deadline).',
      ),
    clientOptions: z
      .record(z.string(), z.unknown())
      .optional()
      .describe(
        'Extra S3Client options (JSON values only), applied last, e.g. { "useAccelerateEndpoint": true }.',
      ),
  })
  .superRefine((config, context) => {
    if ((config.accessKeyId === undefined) !== (config.secretAccessKey === undefined)) {
      context.addIssue({
        code: 'custom',
        path: [config.accessKeyId === undefined ? 'accessKeyId' : 'secretAccessKey'],
        message:
          'set accessKeyId and secretAccessKey together, or neither to use the default credential chain',
      })
    }
    if (config.sessionToken !== undefined && config.accessKeyId === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['sessionToken'],
        message: 'a sessionToken needs accessKeyId and secretAccessKey',
      })
    }
  })

/** The S3 store's configuration, as a user writes it. */
export type S3ArtifactStoreConfigInput = z.input<typeof s3ArtifactStoreConfig>
/** The S3 store's configuration after validation (defaults filled in). */
export type S3ArtifactStoreConfig = z.output<typeof s3ArtifactStoreConfig>

/**
 * `artifact_store/s3`: Amazon S3 and S3-compatible object stores. The AWS SDK is imported by `create()`,
 * never when the plugin is listed or described.
 */
export const s3ArtifactStore = defineFlavor({
  apiVersion: 1,
  type: 'artifact_store',
  name: 's3',
  description: 'Amazon S3 and S3-compatible object stores',
  isRemote: true,
  config: s3ArtifactStoreConfig,
  create: async (config, context) => {
    const { S3ArtifactStore } = await import('./s3-artifact-store.js')
    return new S3ArtifactStore(config, { name: context.componentName, logger: context.logger })
  },
})
