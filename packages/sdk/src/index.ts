// The SDK's public API: what a pipeline author imports. What only Strata's own tools need (the CLI, the
// test kit) is in `@strata/sdk/internal`, which carries no compatibility promise.
export type {
  JsonValue,
  Logger,
  MetadataValue,
  StepContext,
  StepModelContext,
  StepTracking,
} from '@strata/core'
export { isStrataError, StrataError } from '@strata/core'
export {
  Client,
  type ListPipelinesOptions,
  type ModelVersionDetails,
  type PipelineSummary,
  type PruneResult,
  type RunDetails,
} from './client/client.js'
export {
  loadRunConfig,
  parseRunConfig,
  type RunConfig,
  runConfigJsonSchema,
  runConfigSchema,
  type StepRunConfig,
} from './compiler/run-config.js'
export { defineConfig, type StrataConfig } from './discovery/strata-config.js'
export {
  type ArtifactHandle,
  artifact,
  type InputHandle,
  type OutputHandle,
  type StepInvocation,
} from './dsl/handles.js'
export { type InputValues, input, type StepInput } from './dsl/input.js'
export { type ModelSpec, model } from './dsl/model.js'
export {
  isPipeline,
  type Pipeline,
  type PipelineOptions,
  type PipelineRunOptions,
  pipeline,
} from './dsl/pipeline.js'
export {
  type AnyStep,
  type ExecutionConfig,
  type FailureHook,
  type HookContext,
  type InvocationOptions,
  isStep,
  type OutputConfig,
  type Settings,
  type Step,
  type StepDefinition,
  type StepOptions,
  type StepOutputs,
  type SuccessHook,
  step,
} from './dsl/step.js'
export { BUILTIN_MATERIALIZERS } from './materializers/builtin.js'
export { ArtifactDirectory, ArtifactFile, directory, file } from './materializers/files.js'
export {
  type ArtifactSource,
  type ArtifactTarget,
  defineMaterializer,
  type Materializer,
} from './materializers/materializer.js'
export {
  type OpenRunEnvironmentOptions,
  openRunEnvironment,
  type RunComponent,
  type RunEnvironment,
} from './run/run-environment.js'
export type { PipelineRun, RunOptions } from './run/run-pipeline.js'
export type { RunOutput, RunProgress, StepProgressState } from './run/run-progress.js'
