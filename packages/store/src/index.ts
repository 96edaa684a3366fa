export { resolveConfigDir } from './config-dir.js'
export { MIGRATIONS, STORE_SCHEMA_VERSION } from './migrations.js'
export { type FilesystemProbe, refuseNetworkFilesystem } from './network-filesystem.js'
export { assertSupportedNode, MINIMUM_NODE } from './node-version.js'
export {
  ArtifactRepository,
  type ArtifactSaveType,
  type ArtifactSummary,
  type ArtifactVersionRecord,
  type NewArtifactVersion,
} from './repositories/artifacts.js'
export {
  type ComponentListOptions,
  type ComponentRecord,
  type ComponentSortField,
  ComponentsRepository,
  type NewComponent,
} from './repositories/components.js'
export { type FlavorRecord, FlavorsRepository } from './repositories/flavors.js'
export { type ListOptions, parseSort } from './repositories/list-options.js'
export {
  MODEL_STAGES,
  type ModelArtifactKind,
  type ModelFields,
  type ModelRecord,
  ModelRepository,
  type ModelStage,
  type ModelVersionRecord,
  type StageEvent,
} from './repositories/models.js'
export {
  type CacheHit,
  type ListRunsOptions,
  type NewRun,
  type Page,
  type RunOwner,
  type RunRecord,
  RunRepository,
  type RunStatus,
  type StepRunRecord,
  type StepRunStatus,
  type StepRunUpdate,
} from './repositories/runs.js'
export {
  type SecretChanges,
  type SecretSortField,
  type SecretSummary,
  SecretsRepository,
} from './repositories/secrets.js'
export { loadSecretsKey, SECRETS_KEY_FILE, type SecretsKeyOptions } from './repositories/secrets-key.js'
export { SETTING_KEYS, SettingsRepository } from './repositories/settings.js'
export {
  DEFAULT_STACK_NAME,
  type DefaultStackPlugin,
  type StackComponentIds,
  type StackRecord,
  type StackSortField,
  StacksRepository,
} from './repositories/stacks.js'
export {
  type StackRepositories,
  type StackRepositoriesOptions,
  stackRepositories,
} from './repositories/stacks-store.js'
export { type Database, now, type OpenStoreOptions, type Row, SqliteStore } from './sqlite-store.js'
