import { type BucketPath, defineFlavor, parseBucketPath, secret } from '@strata/core'
import { z } from 'zod'

const MIB = 1024 * 1024
const RESUMABLE_GRANULARITY = 256 * 1024
// Bucket names with dots may be up to 222 characters, in dot-separated parts of at most 63.
const GCS_BUCKET = /^(?=.{3,222}$)[a-z0-9](?:[a-z0-9_.-]*[a-z0-9])?$/

/** Parses `gs://bucket[/prefix]`, or says what is wrong with it (for the config schema's message). */
export function parseGcsPath(path: string): BucketPath | string {
  return parseBucketPath(path, 'gs', {
    service: 'Cloud Storage',
    description: "3-63 lower-case letters, digits, '-', '_' and '.'",
    test: (bucket) => GCS_BUCKET.test(bucket) && bucket.split('.').every((part) => part.length <= 63),
  })
}

/** A service-account key file's content: JSON with at least `client_email` and `private_key`. */
function isServiceAccountKey(value: string): boolean {
  try {
    const key = JSON.parse(value) as Record<string, unknown>
    return typeof key.client_email === 'string' && typeof key.private_key === 'string'
  } catch {
    return false
  }
}

export const gcsArtifactStoreConfig = z.object({
  path: z
    .string()
    .superRefine((value, context) => {
      const parsed = parseGcsPath(value)
      if (typeof parsed === 'string') context.addIssue({ code: 'custom', message: parsed })
    })
    .describe('Where artifacts go: gs://<bucket>/<optional prefix>.'),
  projectId: z
    .string()
    .min(1)
    .optional()
    .describe('The Google Cloud project. Default: the one of the credentials or the environment.'),
  apiEndpoint: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe(
      'Another Cloud Storage endpoint, e.g. an emulator at http://127.0.0.1:4443 (requests to it are not authenticated unless clientOptions.useAuthWithCustomEndpoint is true).',
    ),
  serviceAccountKey: secret(
    z.string().refine(isServiceAccountKey, {
      message: "must be a service-account key file's JSON (with client_email and private_key)",
    }),
  )
    .optional()
    .describe(
      'The JSON of a service-account key. Default: application default credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud auth application-default login, the metadata server).',
    ),
  chunkSize: z
    .int()
    .min(RESUMABLE_GRANULARITY)
    .max(1024 * MIB)
    .refine((value) => value % RESUMABLE_GRANULARITY === 0, {
      message: 'must be a multiple of 256 KiB (262144)',
    })
    .optional()
    .describe(
      'Send resumable uploads in requests of this many bytes (a multiple of 256 KiB), each kept in memory so a failed request can be resent. Default: one streaming request per upload, as Google recommends; memory stays at a few small buffers, and a connection lost midway fails the write.',
    ),
  maxRetries: z
    .int()
    .min(0)
    .max(20)
    .default(3)
    .describe('Retries of a failed request (transient errors only), with exponential backoff.'),
  timeoutMs: z.int().min(1).default(60_000).describe('Milliseconds one HTTP request may take.'),
  clientOptions: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('Extra @google-cloud/storage StorageOptions (JSON values only), applied last.'),
})

/** The GCS store's configuration, as a user writes it. */
export type GcsArtifactStoreConfigInput = z.input<typeof gcsArtifactStoreConfig>
/** The GCS store's configuration after validation (defaults filled in). */
export type GcsArtifactStoreConfig = z.output<typeof gcsArtifactStoreConfig>

/**
 * `artifact_store/gcp` (ZenML's name for it): Google Cloud Storage. `@google-cloud/storage` is imported by
 * `create()`, never when the plugin is listed or described.
 */
export const gcsArtifactStore = defineFlavor({
  apiVersion: 1,
  type: 'artifact_store',
  name: 'gcp',
  description: 'Google Cloud Storage buckets',
  isRemote: true,
  config: gcsArtifactStoreConfig,
  create: async (config, context) => {
    const { GcsArtifactStore } = await import('./gcs-artifact-store.js')
    return new GcsArtifactStore(config, { name: context.componentName, logger: context.logger })
  },
})
