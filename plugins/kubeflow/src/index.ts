import { definePlugin } from '@strata/core'
import { kubeflowOrchestrator } from './kubeflow-orchestrator-flavor.js'

export { checkPipelineSpec } from './check-pipeline-spec.js'
export { type CompileOptions, compilePipeline } from './compile-pipeline.js'
export type { RunHandover } from './executor-config.js'
export type { KubeflowOrchestrator, KubeflowRunHandle } from './kubeflow-orchestrator.js'
export type {
  KubeflowOrchestratorConfig,
  KubeflowOrchestratorSettings,
} from './kubeflow-orchestrator-flavor.js'
export type {
  CompiledKfpPipeline,
  KubernetesExecutorConfig,
  PipelineSpec,
  PlatformSpec,
} from './pipeline-spec.js'
export { pipelineYaml } from './pipeline-yaml.js'
export type { PodSettings } from './pod-settings.js'

/** `@strata/kubeflow`: the Kubeflow Pipelines orchestrator. */
export default definePlugin({ name: '@strata/kubeflow', flavors: [kubeflowOrchestrator] })
