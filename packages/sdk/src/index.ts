export type {
  JsonValue,
  Logger,
  MetadataValue,
  StepContext,
  StepModelContext,
  StepTracking,
} from '@strata/core'
export { isStrataError, StrataError } from '@strata/core'
export { type CacheParts, cacheKey, explainCacheParts } from './cache/cache-key.js'
export { fingerprintModules, type ModuleFingerprint } from './cache/code-fingerprint.js'
export {
  Client,
  type ListPipelinesOptions,
  type ModelVersionDetails,
  type PipelineSummary,
  type PruneResult,
  type RunDetails,
} from './client/client.js'
export { type CacheExplanation, explainCache } from './client/explain-cache.js'
export {
  type CompiledInput,
  type CompiledPipeline,
  type CompiledStep,
  type CompileSources,
  compilePipeline,
  type PipelineDefinition,
} from './compiler/compile.js'
export {
  loadRunConfig,
  parseRunConfig,
  type RunConfig,
  runConfigJsonSchema,
  runConfigSchema,
  type StepRunConfig,
} from './compiler/run-config.js'
export {
  BUILTIN_PLUGINS,
  type DiscoverFlavorsOptions,
  type DiscoveryResult,
  discoverFlavors,
  findPackageDir,
} from './discovery/discover-flavors.js'
export {
  type FlavorManifest,
  type PackageJson,
  type PluginManifest,
  parsePluginManifest,
} from './discovery/plugin-manifest.js'
export { findProjectRoot } from './discovery/project-root.js'
export {
  defineConfig,
  findStrataConfig,
  loadStrataConfig,
  STRATA_CONFIG_FILES,
  type StrataConfig,
} from './discovery/strata-config.js'
export {
  type ArtifactHandle,
  artifact,
  type InputHandle,
  type OutputHandle,
  type StepInvocation,
} from './dsl/handles.js'
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
export { runStepProcess } from './process/step-process.js'
export { importingPipelines, insideStepProcess } from './process/step-process-env.js'
export { ingestJournal, readJournal, runKeys } from './recording/journal.js'
export type { RunEvent, RunRecorder } from './recording/run-events.js'
export { applyRunEvent, StoreRecorder } from './recording/store-recorder.js'
export {
  loadRunDefinitions,
  type ModuleImporter,
  type ResumeOptions,
  resumeRun,
} from './run/resume-run.js'
export {
  type OpenRunEnvironmentOptions,
  openRunEnvironment,
  type RunComponent,
  type RunEnvironment,
} from './run/run-environment.js'
export {
  abandonedReason,
  currentOwner,
  type OwnerState,
  ownerState,
  reconcileAbandonedRuns,
} from './run/run-owner.js'
export {
  executeRun,
  type PipelineRun,
  type RunOptions,
  runPipeline,
} from './run/run-pipeline.js'
export type { RunOutput, RunProgress, StepProgressState } from './run/run-progress.js'
export { syncRun } from './run/sync-run.js'
export * from './stacks/index.js'
export {
  type ArtifactVersionInfo,
  artifactSource,
  loadArtifact,
  saveArtifact,
} from './step/artifact-io.js'
