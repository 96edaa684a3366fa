import { definePlugin } from '@strata/core'
import { kubernetesOrchestrator } from './kubernetes-orchestrator-flavor.js'

export type {
  KubernetesOrchestratorConfig,
  KubernetesOrchestratorSettings,
} from './kubernetes-orchestrator-flavor.js'
export type { PodSettings } from './pod-settings.js'

/** `@strata/kubernetes`: the Kubernetes orchestrator. */
export default definePlugin({ name: '@strata/kubernetes', flavors: [kubernetesOrchestrator] })
