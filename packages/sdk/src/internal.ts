// What Strata's own tools (the CLI, the test kit, benchmarks) use besides the public API. No compatibility
// promise: it changes with the CLI that ships beside it.

export { type CacheParts, cacheKey, explainCacheParts } from './cache/cache-key.js'
export { fingerprintModules, type ModuleFingerprint } from './cache/code-fingerprint.js'
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
export { findStrataConfig, loadStrataConfig, STRATA_CONFIG_FILES } from './discovery/strata-config.js'
export * from './index.js'
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
  abandonedReason,
  currentOwner,
  type OwnerState,
  ownerState,
  reconcileAbandonedRuns,
} from './run/run-owner.js'
export { executeRun, exportPipelineDefinition, runPipeline } from './run/run-pipeline.js'
export type { ExportedPipeline } from './run/schedule-pipeline.js'
export { syncRun } from './run/sync-run.js'
export * from './stacks/index.js'
export {
  type ArtifactVersionInfo,
  artifactSource,
  loadArtifact,
  saveArtifact,
} from './step/artifact-io.js'
