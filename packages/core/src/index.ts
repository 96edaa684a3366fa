export { abortableSource } from './abortable-source.js'
export { joinArtifactKey, normalizeArtifactKey, normalizeArtifactPrefix } from './artifact-key.js'
export type {
  ArtifactBody,
  ArtifactCallOptions,
  ArtifactLeftover,
  ArtifactListEntry,
  ArtifactListOptions,
  ArtifactListPage,
  ArtifactReadWholeOptions,
  ArtifactStat,
  ArtifactStoreV1,
} from './artifact-store.js'
export { ArtifactStoreHost, type ArtifactStoreHostOptions, artifactNotFound } from './artifact-store-host.js'
export {
  type BucketNameRule,
  type BucketPath,
  bucketObjectKey,
  formatBucketUri,
  parseBucketPath,
} from './bucket-path.js'
export {
  type BucketStoreErrorCode,
  BucketStoreErrors,
  type BucketStoreErrorsOptions,
  type BucketStoreIdentity,
  type DestroyableStream,
  mapBucketStoreError,
  type VendorErrorMapping,
  type VendorFailure,
} from './bucket-store-errors.js'
export { closestName } from './closest-name.js'
export { compareText } from './compare-text.js'
export { type ComponentHostOptions, type ComponentIdentity, hostComponent } from './component-host.js'
export {
  COMPONENT_TYPES,
  type ComponentCliName,
  type ComponentType,
  componentCliName,
  isComponentType,
  parseComponentType,
  REQUIRED_COMPONENT_TYPES,
} from './component-types.js'
export {
  maskConfig,
  resolveConfigSecrets,
  secretReferencesOf,
  secretValuesOf,
} from './config-secrets.js'
export { type DagNode, type ExecuteDagOptions, executeDag } from './dag-executor.js'
export {
  errorMessage,
  isStrataError,
  StrataError,
  type StrataErrorCode,
  type StrataErrorOptions,
} from './errors.js'
export type {
  ExperimentTrackerV1,
  PipelineTracking,
  StepTracking,
  TrackedPipelineRun,
  TrackedStepRun,
} from './experiment-tracker.js'
export {
  type AnyFlavor,
  type ComponentInterfaces,
  type ConfigSchema,
  defineFlavor,
  definePlugin,
  type FlavorContext,
  type FlavorDefinition,
  flavorId,
  type PluginDefinition,
  type StackIssue,
  SUPPORTED_API_VERSIONS,
} from './flavor.js'
export { FlavorCatalog } from './flavor-catalog.js'
export { type ParseFlavorConfigOptions, parseFlavorConfig } from './flavor-config.js'
export { flavorConfigJsonSchema, toFlavorJsonSchema } from './flavor-json-schema.js'
export {
  type FlavorEntry,
  FlavorRegistry,
  type FlavorSource,
  flavorEntryFromDefinition,
} from './flavor-registry.js'
export {
  describeJsonSchemaFields,
  type JsonSchema,
  type JsonSchemaField,
  secretFieldPaths,
} from './json-schema.js'
export type { JsonObject, JsonValue } from './json-value.js'
export { type Logger, type LogLevel, silentLogger } from './logger.js'
export { assertName, NAME_MAX_LENGTH, NAME_RULE, nameProblem } from './name-rule.js'
export type {
  ExportContext,
  OrchestratorDriveContext,
  OrchestratorRunContext,
  OrchestratorRunResult,
  OrchestratorV1,
  ProcessExit,
  RemoteRunContext,
  RemoteRunHandle,
  RemoteRunStaging,
  RemoteRunState,
  RuntimePackage,
  ScheduleContext,
  ScheduleInfo,
  StepCommand,
  StepFinalStatus,
  StepOutcome,
  StepRunState,
} from './orchestrator.js'
export type * from './placeholder-components.js'
export {
  type FlavorManifestEntry,
  type ManifestPackageJson,
  type PluginManifest,
  pluginEntryOf,
  pluginManifest,
  withPluginManifest,
} from './plugin-manifest.js'
export { escapeControls, excerpt, findControlCharacter, QUOTE_LIMIT, quote } from './quote.js'
export { redactError, redactText } from './redact-secrets.js'
export { isSecretSchema, secret } from './secret.js'
export {
  assertSecretsResolved,
  formatSecretReference,
  looksLikeSecretReference,
  MASK,
  parseSecretReference,
  resolveSecretReference,
  SECRET_KEYWORD,
  type SecretReference,
  type SecretResolver,
} from './secret-reference.js'
export {
  type ArtifactKind,
  type ArtifactVersionInfo,
  type FailureMode,
  type ModelReference,
  type PipelineSnapshot,
  type ResolvedModel,
  type RetryPolicy,
  SNAPSHOT_SCHEMA_VERSION,
  type StepInputSource,
  type StepOutputSpec,
  type StepSnapshot,
} from './snapshot.js'
export type {
  StackComponentSpec,
  StackComponentView,
  StackSpec,
  StackView,
  ValidateStackOptions,
} from './stack.js'
export { validateStack } from './stack.js'
export type { MetadataValue, StepContext, StepModelContext } from './step-context.js'
