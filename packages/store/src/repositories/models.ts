import type { Page } from './runs.js'

export const MODEL_STAGES = ['staging', 'production', 'archived'] as const
export type ModelStage = (typeof MODEL_STAGES)[number]

export interface ModelRecord {
  id: string
  name: string
  description: string | null
  license: string | null
  tags: string[]
  useCases: string | null
  limitations: string | null
  createdAt: string
  updatedAt: string
}

export interface ModelVersionRecord {
  id: string
  modelId: string
  modelName: string
  number: number
  name: string | null
  stage: ModelStage | null
  description: string | null
  tags: string[]
  createdAt: string
  updatedAt: string
}

export interface StageEvent {
  versionId: string
  number: number
  from: ModelStage | null
  to: ModelStage | null
  actor: string
  at: string
}

export type ModelArtifactKind = 'data' | 'model' | 'deployment'

export interface ModelFields {
  description?: string | null
  license?: string | null
  tags?: string[]
  useCases?: string | null
  limitations?: string | null
}

/** A model in lists: with its number of versions and the version in production, if any. */
export interface ModelSummary extends ModelRecord {
  versions: number
  production: number | null
}

/**
 * The Model Control Plane: models, their numbered versions, stages (`staging` and `production` hold one
 * version each; `archived` any number; `latest` is the newest), stage history, and links to artifacts and runs.
 */
export interface ModelRepository {
  find(name: string): Promise<ModelRecord | undefined>
  /** @throws StrataError `MODEL_NOT_FOUND` */
  require(name: string): Promise<ModelRecord>
  /** @throws StrataError `MODEL_EXISTS` */
  register(name: string, fields?: ModelFields): Promise<ModelRecord>
  /** The model, registered on first use (what a run declaring `model: { name }` does). */
  ensure(name: string): Promise<ModelRecord>
  /** @throws StrataError `MODEL_NOT_FOUND`, `MODEL_EXISTS` (a rename to a taken name) */
  update(name: string, fields: ModelFields & { name?: string }): Promise<ModelRecord>
  /** Models sorted by name, one page. */
  list(options?: { page?: number; size?: number }): Promise<Page<ModelSummary>>
  /** Deletes a model and all its versions (artifact versions and runs stay, unlinked). */
  delete(name: string): Promise<ModelRecord>
  /**
   * A new version, numbered next for its model inside the write transaction (concurrent creators get
   * distinct consecutive numbers). Registers the model on first use.
   * @throws StrataError `MODEL_VERSION_EXISTS` for a taken version name
   */
  createVersion(
    modelName: string,
    fields?: { name?: string; description?: string; tags?: string[] },
  ): Promise<ModelVersionRecord>
  versionById(id: string): Promise<ModelVersionRecord | undefined>
  /**
   * A version by number, name, stage or `latest`.
   * @throws StrataError `MODEL_NOT_FOUND`, `MODEL_STAGE_EMPTY` or `MODEL_VERSION_NOT_FOUND`, naming the model
   */
  version(modelName: string, reference: string | number): Promise<ModelVersionRecord>
  /** A model's versions, newest first, one page. */
  versions(
    modelName: string,
    options?: { page?: number; size?: number; stage?: ModelStage },
  ): Promise<Page<ModelVersionRecord>>
  updateVersion(
    modelName: string,
    reference: string | number,
    fields: { name?: string | null; description?: string | null; tags?: string[] },
  ): Promise<ModelVersionRecord>
  /**
   * Moves a version to a stage (`null` clears it). `staging` and `production` hold one version each: taking an
   * occupied one is refused unless `force`, which archives the previous holder. Every change is recorded.
   * @throws StrataError `MODEL_STAGE_OCCUPIED` naming the holder and the fix
   */
  setStage(
    modelName: string,
    reference: string | number,
    stage: ModelStage | null,
    options: { force?: boolean; actor: string },
  ): Promise<ModelVersionRecord>
  /** Stage changes of a model's versions, oldest first. */
  stageEvents(modelName: string): Promise<StageEvent[]>
  /** Deletes a version (linked artifact versions and runs stay, unlinked). */
  deleteVersion(modelName: string, reference: string | number): Promise<ModelVersionRecord>
  linkArtifact(versionId: string, artifactVersionId: string, kind: ModelArtifactKind): Promise<void>
  linkRun(versionId: string, runId: string): Promise<void>
  /** How many model versions link a run. */
  runLinks(runId: string): Promise<number>
  /** Artifact versions linked to a model version, newest first per artifact name. */
  artifacts(versionId: string): Promise<ModelArtifactLink[]>
  /** Runs linked to a model version, oldest first. */
  runs(versionId: string): Promise<ModelRunLink[]>
}

/** An artifact version linked to a model version. */
export interface ModelArtifactLink {
  artifactVersionId: string
  name: string
  version: number
  kind: ModelArtifactKind
}

/** A run linked to a model version. */
export interface ModelRunLink {
  id: string
  name: string
  status: string
  createdAt: string
}
