import { definePlugin } from '@strata/core'
import { localArtifactStore } from './local-artifact-store-flavor.js'

export { localArtifactStore, localArtifactStoreConfig } from './local-artifact-store-flavor.js'

export default definePlugin({
  name: '@strata/local',
  flavors: [localArtifactStore],
})
