export { resolveConfigDir } from './config-dir.js'
export { MIGRATIONS, STORE_SCHEMA_VERSION } from './migrations.js'
export { refuseNetworkFilesystem } from './network-filesystem.js'
export { assertSupportedNode, MINIMUM_NODE_MAJOR } from './node-version.js'
export {
  ArtifactRepository,
  type ArtifactSaveType,
  type ArtifactSummary,
  type ArtifactVersionRecord,
  type NewArtifactVersion,
} from './repositories/artifacts.js'
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
export { type Database, now, type OpenStoreOptions, type Row, SqliteStore } from './sqlite-store.js'
