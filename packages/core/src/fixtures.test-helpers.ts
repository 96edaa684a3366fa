import { z } from 'zod'
import type { ArtifactStoreV1, OrchestratorV1 } from './index.js'
import { defineFlavor, definePlugin, secret } from './index.js'

const notImplemented = async (): Promise<never> => {
  throw new Error('fixture flavors are never created in these tests')
}

export const bucketStore = defineFlavor({
  apiVersion: 1,
  type: 'artifact_store',
  name: 'bucket',
  description: 'A fixture remote store',
  isRemote: true,
  config: z.object({
    path: z.string().startsWith('s3://', { message: 'must start with s3://' }).describe('Where artifacts go'),
    region: z.string().default('us-east-1'),
    accessKeyId: secret(z.string()).optional(),
    secretAccessKey: secret(z.string().min(8)).optional(),
  }),
  create: notImplemented as () => Promise<ArtifactStoreV1>,
})

export const diskStore = defineFlavor({
  apiVersion: 1,
  type: 'artifact_store',
  name: 'disk',
  description: 'A fixture local store',
  isLocal: true,
  config: z.object({ path: z.string().optional() }),
  create: notImplemented as () => Promise<ArtifactStoreV1>,
})

const inlineOrchestrator = defineFlavor({
  apiVersion: 1,
  type: 'orchestrator',
  name: 'inline',
  description: 'A fixture local orchestrator',
  isLocal: true,
  config: z.object({}),
  create: notImplemented as () => Promise<OrchestratorV1>,
})

const clusterOrchestrator = defineFlavor({
  apiVersion: 1,
  type: 'orchestrator',
  name: 'cluster',
  description: 'A fixture remote orchestrator that needs a container registry',
  isRemote: true,
  config: z.object({ namespace: z.string().default('default'), here: z.boolean().default(false) }),
  runsOnThisMachine: (config) => config.here,
  validateStack: (stack) =>
    stack.components.container_registry
      ? []
      : [{ component: 'cluster', message: 'needs a container registry — add one with --container-registry' }],
  create: notImplemented as () => Promise<OrchestratorV1>,
})

export const fixturePlugin = definePlugin({
  name: '@fixture/everything',
  flavors: [bucketStore, diskStore, inlineOrchestrator, clusterOrchestrator],
})
