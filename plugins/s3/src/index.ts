import type { S3Client } from '@aws-sdk/client-s3'
import { type ArtifactStoreV1, definePlugin, type Logger, parseFlavorConfig } from '@strata/core'
import {
  type S3ArtifactStoreConfig,
  type S3ArtifactStoreConfigInput,
  s3ArtifactStore,
} from './s3-artifact-store-flavor.js'

export {
  type S3ArtifactStoreConfig,
  type S3ArtifactStoreConfigInput,
  s3ArtifactStore,
  s3ArtifactStoreConfig,
} from './s3-artifact-store-flavor.js'

export interface CreateS3ArtifactStoreOptions {
  /** Names the store in messages. @default 's3' */
  name?: string
  /** Your own client, used as is and left open by `close()`. Default: one built from the config on first use. */
  client?: S3Client
  logger?: Logger
}

/**
 * Builds an S3 artifact store outside a stack, e.g. with your own `S3Client` (for custom middleware,
 * credentials providers or tests). Imports the AWS SDK only now.
 * @throws StrataError `INVALID_CONFIG` when the config is invalid (secret values are never echoed)
 */
export async function createS3ArtifactStore(
  config: S3ArtifactStoreConfigInput,
  options: CreateS3ArtifactStoreOptions = {},
): Promise<ArtifactStoreV1> {
  const parsed = parseFlavorConfig(s3ArtifactStore, config, {
    componentName: options.name ?? 's3',
  }) as S3ArtifactStoreConfig
  const { S3ArtifactStore } = await import('./s3-artifact-store.js')
  return new S3ArtifactStore(parsed, options)
}

export default definePlugin({
  name: '@strata/s3',
  flavors: [s3ArtifactStore],
})
