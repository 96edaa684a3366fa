import type { Storage } from '@google-cloud/storage'
import { type ArtifactStoreV1, definePlugin, type Logger, parseFlavorConfig } from '@strata/core'
import {
  type GcsArtifactStoreConfig,
  type GcsArtifactStoreConfigInput,
  gcsArtifactStore,
} from './gcs-artifact-store-flavor.js'

export {
  type GcsArtifactStoreConfig,
  type GcsArtifactStoreConfigInput,
  gcsArtifactStore,
  gcsArtifactStoreConfig,
} from './gcs-artifact-store-flavor.js'

export interface CreateGcsArtifactStoreOptions {
  /** Names the store in messages. @default 'gcp' */
  name?: string
  /** Your own client, used as is. Default: one built from the config on first use. */
  client?: Storage
  logger?: Logger
}

/**
 * Builds a Cloud Storage artifact store outside a stack, e.g. with your own `Storage` client (custom auth
 * clients, interceptors, tests). Imports `@google-cloud/storage` only now.
 * @throws StrataError `INVALID_CONFIG` when the config is invalid (secret values are never echoed)
 */
export async function createGcsArtifactStore(
  config: GcsArtifactStoreConfigInput,
  options: CreateGcsArtifactStoreOptions = {},
): Promise<ArtifactStoreV1> {
  const parsed = parseFlavorConfig(gcsArtifactStore, config, {
    componentName: options.name ?? 'gcp',
  }) as GcsArtifactStoreConfig
  const { GcsArtifactStore } = await import('./gcs-artifact-store.js')
  return new GcsArtifactStore(parsed, options)
}

export default definePlugin({
  name: '@strata/gcs',
  flavors: [gcsArtifactStore],
})
