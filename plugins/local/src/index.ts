import { definePlugin } from '@strata/core'
import { localArtifactStore } from './local-artifact-store-flavor.js'
import { localOrchestrator } from './local-orchestrator-flavor.js'

export { localArtifactStore, localArtifactStoreConfig } from './local-artifact-store-flavor.js'
export {
  localOrchestrator,
  localOrchestratorConfig,
  localOrchestratorSettings,
} from './local-orchestrator-flavor.js'

export default definePlugin({
  name: '@strata/local',
  flavors: [localArtifactStore, localOrchestrator],
})
