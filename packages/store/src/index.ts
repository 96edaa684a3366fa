export { resolveConfigDir } from './config-dir.js'
export type { MetadataStore, StoreRepositories, StoreTransaction } from './metadata-store.js'
export { type FilesystemProbe, refuseNetworkFilesystem } from './network-filesystem.js'
export { assertSupportedNode, MINIMUM_NODE } from './node-version.js'
export type {
  ArtifactRepository,
  ArtifactSaveType,
  ArtifactSummary,
  ArtifactVersionRecord,
  NewArtifactVersion,
} from './repositories/artifacts.js'
export type {
  ComponentListOptions,
  ComponentRecord,
  ComponentRepository,
  ComponentSortField,
  NewComponent,
} from './repositories/components.js'
export type { FlavorRecord, FlavorRepository } from './repositories/flavors.js'
export { type ListOptions, parseSort } from './repositories/list-options.js'
export {
  MODEL_STAGES,
  type ModelArtifactKind,
  type ModelArtifactLink,
  type ModelFields,
  type ModelRecord,
  type ModelRepository,
  type ModelRunLink,
  type ModelStage,
  type ModelSummary,
  type ModelVersionRecord,
  type StageEvent,
} from './repositories/models.js'
export type {
  CacheHit,
  ListRunsOptions,
  MetadataEntityType,
  NewRun,
  Page,
  PipelineSummary,
  RemoteRun,
  RunOwner,
  RunRecord,
  RunRepository,
  RunStatus,
  StepRunRecord,
  StepRunStatus,
  StepRunUpdate,
} from './repositories/runs.js'
export type { NewSchedule, ScheduleRecord, ScheduleRepository } from './repositories/schedules.js'
export type {
  SecretChanges,
  SecretRepository,
  SecretSortField,
  SecretSummary,
} from './repositories/secrets.js'
export { loadSecretsKey, SECRETS_KEY_FILE, type SecretsKeyOptions } from './repositories/secrets-key.js'
export { SETTING_KEYS, type SettingsRepository } from './repositories/settings.js'
export {
  DEFAULT_STACK_NAME,
  type DefaultStackPlugin,
  type StackComponentIds,
  type StackRecord,
  type StackRepository,
  type StackSortField,
} from './repositories/stacks.js'
export { MIGRATIONS, STORE_SCHEMA_VERSION } from './sqlite/migrations.js'
export type { Row } from './sqlite/sqlite-database.js'
export { damagedStore } from './sqlite/sqlite-errors.js'
export { type OpenStoreOptions, SqliteStore, type StoreSynchronous } from './sqlite/sqlite-store.js'
export type { RestoreResult, StoreInspection } from './sqlite/store-maintenance.js'
