// The parts of KFP's v2 IR (kfp-pipeline-spec's `PipelineSpec`, and kfp-kubernetes's
// `KubernetesExecutorConfig` in the `PlatformSpec`) that Strata writes, spelled as their protobuf JSON
// mapping (camelCase), which is how the kfp SDK writes pipeline YAML and how the v2beta1 API takes it.

export type ParameterType = 'STRING' | 'NUMBER_INTEGER' | 'NUMBER_DOUBLE' | 'BOOLEAN' | 'LIST' | 'STRUCT'

export interface ParameterSpec {
  parameterType: ParameterType
  defaultValue?: unknown
  isOptional?: boolean
  description?: string
}

export interface ComponentSpec {
  executorLabel: string
  inputDefinitions?: { parameters: Record<string, ParameterSpec> }
  outputDefinitions?: { parameters: Record<string, ParameterSpec> }
}

export type TaskInputParameter =
  | { taskOutputParameter: { producerTask: string; outputParameterKey: string } }
  | { componentInputParameter: string }
  | { runtimeValue: { constant: unknown } }

export interface RetryPolicy {
  maxRetryCount: number
  backoffDuration: string
  backoffFactor: number
  backoffMaxDuration: string
}

export interface PipelineTaskSpec {
  taskInfo: { name: string }
  componentRef: { name: string }
  dependentTasks?: string[]
  inputs?: { parameters: Record<string, TaskInputParameter> }
  cachingOptions: { enableCache?: boolean }
  retryPolicy?: RetryPolicy
}

export interface ResourceSpec {
  cpuRequest?: number
  cpuLimit?: number
  memoryRequest?: number
  memoryLimit?: number
  resourceCpuRequest?: string
  resourceCpuLimit?: string
  resourceMemoryRequest?: string
  resourceMemoryLimit?: string
  accelerator?: { type: string; count: string; resourceType: string; resourceCount: string }
}

export interface ContainerSpec {
  image: string
  command: string[]
  args: string[]
  env?: Array<{ name: string; value: string }>
  resources?: ResourceSpec
}

export interface PipelineSpec {
  pipelineInfo: { name: string; description?: string; displayName?: string }
  sdkVersion: string
  schemaVersion: '2.1.0'
  components: Record<string, ComponentSpec>
  deploymentSpec: { executors: Record<string, { container: ContainerSpec }> }
  root: {
    dag: { tasks: Record<string, PipelineTaskSpec> }
    inputDefinitions?: { parameters: Record<string, ParameterSpec> }
  }
}

/** A constant where kfp-kubernetes takes a parameter (`secretNameParameter`, `configMapNameParameter`). */
export interface ConstantParameter {
  runtimeValue: { constant: string }
}

export interface SelectorRequirement {
  key: string
  operator: string
  values?: string[]
}

/** kfp-kubernetes's `KubernetesExecutorConfig`: what a task's pod gets besides its container. */
export interface KubernetesExecutorConfig {
  secretAsEnv?: Array<{
    secretName: string
    secretNameParameter: ConstantParameter
    keyToEnv: Array<{ secretKey: string; envVar: string }>
    optional: boolean
  }>
  secretAsVolume?: Array<{
    secretName: string
    secretNameParameter: ConstantParameter
    mountPath: string
    optional: boolean
  }>
  configMapAsVolume?: Array<{
    configMapName: string
    configMapNameParameter: ConstantParameter
    mountPath: string
    optional: boolean
  }>
  configMapAsEnv?: Array<{
    configMapName: string
    configMapNameParameter: ConstantParameter
    keyToEnv: Array<{ configMapKey: string; envVar: string }>
    optional: boolean
  }>
  fieldPathAsEnv?: Array<{ name: string; fieldPath: string }>
  pvcMount?: Array<{
    constant: string
    pvcNameParameter: ConstantParameter
    mountPath: string
    subPath?: string
  }>
  emptyDirMounts?: Array<{ volumeName: string; mountPath: string; medium?: string; sizeLimit?: string }>
  nodeSelector?: { labels: Record<string, string> }
  nodeAffinity?: Array<{
    matchExpressions?: SelectorRequirement[]
    matchFields?: SelectorRequirement[]
    weight?: number
  }>
  podAffinity?: Array<{
    matchPodExpressions?: SelectorRequirement[]
    matchPodLabels?: Record<string, string>
    topologyKey: string
    namespaces?: string[]
    weight?: number
    anti?: boolean
  }>
  tolerations?: Array<{
    key?: string
    operator?: string
    value?: string
    effect?: string
    tolerationSeconds?: string
  }>
  podMetadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }
  imagePullSecret?: Array<{ secretName: string; secretNameParameter: ConstantParameter }>
}

/** The second document of a compiled pipeline: `platforms.kubernetes.deploymentSpec.executors`. */
export interface PlatformSpec {
  platforms: {
    kubernetes: { deploymentSpec: { executors: Record<string, KubernetesExecutorConfig> } }
  }
}

/** A pipeline as KFP takes it: the IR and, beside it, its platform spec. */
export interface CompiledKfpPipeline {
  pipelineSpec: PipelineSpec
  platformSpec: PlatformSpec
}
