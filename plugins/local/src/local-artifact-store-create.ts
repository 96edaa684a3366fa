import type { FlavorContext } from '@strata/core/base'
import type { LocalArtifactStore } from './local-artifact-store.js'

/**
 * The local artifact store's `create`, in a module of its own that imports no zod: the flavor names it as its
 * `createModule`, so `strata pipeline runs logs` and `strata artifact describe` open the store without
 * importing the plugin.
 */
export default async function createLocalArtifactStore(
  config: { path?: string | undefined },
  context: FlavorContext,
): Promise<LocalArtifactStore> {
  const { LocalArtifactStore } = await import('./local-artifact-store.js')
  return new LocalArtifactStore(config.path ?? context.dataDir)
}
