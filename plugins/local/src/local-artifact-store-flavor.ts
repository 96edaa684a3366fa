import { isAbsolute } from 'node:path'
import { defineFlavor } from '@strata/core'
import { z } from 'zod'
import createLocalArtifactStore from './local-artifact-store-create.js'

export const localArtifactStoreConfig = z.object({
  path: z
    .string()
    .refine(isAbsolute, { message: 'must be an absolute path' })
    .optional()
    .describe("The directory artifacts are written to. Default: '<config dir>/local_stores/<component id>'."),
})

export const localArtifactStore = defineFlavor({
  apiVersion: 1,
  type: 'artifact_store',
  name: 'local',
  description: 'A directory on this machine',
  isLocal: true,
  config: localArtifactStoreConfig,
  create: createLocalArtifactStore,
  createModule: './local-artifact-store-create.js',
})
