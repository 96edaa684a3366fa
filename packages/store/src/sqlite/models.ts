import { assertName, StrataError } from '@strata/core/base'
import { crypto } from '../lazy-crypto.js'
import {
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
} from '../repositories/models.js'
import type { Page } from '../repositories/runs.js'
import { pageWindow } from './list-clause.js'
import type { Synchronous } from './queued-repository.js'
import { now, type Row, readBack, type SqliteDatabase } from './sqlite-database.js'

/** Stages at most one version of a model holds. */
const EXCLUSIVE_STAGES: readonly ModelStage[] = ['staging', 'production']

function toModel(row: Row): ModelRecord {
  return {
    id: row.id as string,
    name: row.name as string,
    description: (row.description as string | null) ?? null,
    license: (row.license as string | null) ?? null,
    tags: JSON.parse(row.tags as string) as string[],
    useCases: (row.use_cases as string | null) ?? null,
    limitations: (row.limitations as string | null) ?? null,
    createdAt: row.created_at as string,
    updatedAt: row.updated_at as string,
  }
}

function toVersion(row: Row): ModelVersionRecord {
  return {
    id: row.id as string,
    modelId: row.model_id as string,
    modelName: row.model_name as string,
    number: row.number as number,
    name: (row.name as string | null) ?? null,
    stage: (row.stage as ModelStage | null) ?? null,
    description: (row.description as string | null) ?? null,
    tags: JSON.parse(row.tags as string) as string[],
    createdAt: row.created_at as string,
    updatedAt: row.updated_at as string,
  }
}

const VERSION_COLUMNS = `v.id, v.model_id, m.name AS model_name, v.number, v.name, v.stage, v.description, v.tags, v.created_at, v.updated_at`

/** The Model Control Plane in SQLite. */
/**
 * A model's or version's new name and tags keep the rule of every name (no control characters).
 * @throws StrataError `INVALID_NAME`
 */
function checkNames(
  fields: { name?: string | undefined; tags?: readonly string[] | undefined },
  field = 'model name',
): void {
  if (fields.name !== undefined) assertName(field, fields.name)
  for (const tag of fields.tags ?? []) assertName('tag', tag)
}

export class SqliteModelRepository implements Synchronous<ModelRepository> {
  readonly #store: SqliteDatabase

  constructor(store: SqliteDatabase) {
    this.#store = store
  }

  find(name: string): ModelRecord | undefined {
    const row = this.#store.get<Row>('SELECT * FROM models WHERE name = ?', name)
    return row ? toModel(row) : undefined
  }

  /** @throws StrataError `MODEL_NOT_FOUND` */
  require(name: string): ModelRecord {
    const model = this.find(name)
    if (model) return model
    throw new StrataError(
      'MODEL_NOT_FOUND',
      `no model '${name}' — list models with 'strata model list', or register it with 'strata model register ${name}'`,
      {
        details: { model: name },
      },
    )
  }

  /** @throws StrataError `MODEL_EXISTS` */
  register(name: string, fields: ModelFields = {}): ModelRecord {
    checkNames({ name, tags: fields.tags })
    return this.#store.transaction(() => {
      if (this.find(name)) {
        throw new StrataError(
          'MODEL_EXISTS',
          `model '${name}' already exists — change it with 'strata model update ${name}'`,
        )
      }
      const at = now()
      this.#store.run(
        `INSERT INTO models (id, name, description, license, tags, use_cases, limitations, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        crypto().randomUUID(),
        name,
        fields.description ?? null,
        fields.license ?? null,
        JSON.stringify(fields.tags ?? []),
        fields.useCases ?? null,
        fields.limitations ?? null,
        at,
        at,
      )
      return this.require(name)
    })
  }

  /** The model, registered on first use (what a run declaring `model: { name }` does). */
  ensure(name: string): ModelRecord {
    return this.#store.transaction(() => this.find(name) ?? this.register(name))
  }

  update(name: string, fields: ModelFields & { name?: string }): ModelRecord {
    checkNames(fields)
    return this.#store.transaction(() => {
      const model = this.require(name)
      if (fields.name !== undefined && fields.name !== name && this.find(fields.name)) {
        throw new StrataError('MODEL_EXISTS', `model '${fields.name}' already exists — pick another name`)
      }
      this.#store.run(
        `UPDATE models SET name = ?, description = ?, license = ?, tags = ?, use_cases = ?, limitations = ?, updated_at = ? WHERE id = ?`,
        fields.name ?? model.name,
        fields.description === undefined ? model.description : fields.description,
        fields.license === undefined ? model.license : fields.license,
        JSON.stringify(fields.tags ?? model.tags),
        fields.useCases === undefined ? model.useCases : fields.useCases,
        fields.limitations === undefined ? model.limitations : fields.limitations,
        now(),
        model.id,
      )
      return this.require(fields.name ?? name)
    })
  }

  list(options: { page?: number; size?: number } = {}): Page<ModelSummary> {
    const { page, size, offset } = pageWindow(options)
    const total = this.#store.get<{ n: number }>('SELECT COUNT(*) AS n FROM models')?.n ?? 0
    const items = this.#store
      .all<Row>(
        `SELECT m.*, (SELECT COUNT(*) FROM model_versions v WHERE v.model_id = m.id) AS versions,
           (SELECT number FROM model_versions v WHERE v.model_id = m.id AND v.stage = 'production') AS production
         FROM models m ORDER BY m.name LIMIT ? OFFSET ?`,
        size,
        offset,
      )
      .map((row) => ({
        ...toModel(row),
        versions: row.versions as number,
        production: (row.production as number | null) ?? null,
      }))
    return { items, total, page, size }
  }

  /** Deletes a model and all its versions (artifact versions stay). */
  delete(name: string): ModelRecord {
    return this.#store.transaction(() => {
      const model = this.require(name)
      this.#store.run(
        'UPDATE runs SET model_version_id = NULL WHERE model_version_id IN (SELECT id FROM model_versions WHERE model_id = ?)',
        model.id,
      )
      this.#store.run('DELETE FROM models WHERE id = ?', model.id)
      return model
    })
  }

  /**
   * A new version, numbered next for its model inside the write transaction (concurrent creators get
   * distinct consecutive numbers). Registers the model on first use.
   */
  createVersion(
    modelName: string,
    fields: { name?: string; description?: string; tags?: string[] } = {},
  ): ModelVersionRecord {
    checkNames(fields, 'model version name')
    return this.#store.transaction(() => {
      const model = this.ensure(modelName)
      if (fields.name !== undefined && this.#findVersion(model.id, fields.name)) {
        throw new StrataError(
          'MODEL_VERSION_EXISTS',
          `model '${modelName}' already has a version named '${fields.name}' — pick another name`,
        )
      }
      const number =
        (this.#store.get<{ n: number | null }>(
          'SELECT MAX(number) AS n FROM model_versions WHERE model_id = ?',
          model.id,
        )?.n ?? 0) + 1
      const id = crypto().randomUUID()
      const at = now()
      this.#store.run(
        `INSERT INTO model_versions (id, model_id, number, name, stage, description, tags, created_at, updated_at)
         VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?)`,
        id,
        model.id,
        number,
        fields.name ?? null,
        fields.description ?? null,
        JSON.stringify(fields.tags ?? []),
        at,
        at,
      )
      return readBack(this.versionById(id), `model version ${id}`)
    })
  }

  versionById(id: string): ModelVersionRecord | undefined {
    const row = this.#store.get<Row>(
      `SELECT ${VERSION_COLUMNS} FROM model_versions v JOIN models m ON m.id = v.model_id WHERE v.id = ?`,
      id,
    )
    return row ? toVersion(row) : undefined
  }

  #findVersion(modelId: string, reference: string | number): ModelVersionRecord | undefined {
    const base = `SELECT ${VERSION_COLUMNS} FROM model_versions v JOIN models m ON m.id = v.model_id WHERE v.model_id = ?`
    let row: Row | undefined
    if (reference === 'latest') row = this.#store.get<Row>(`${base} ORDER BY v.number DESC LIMIT 1`, modelId)
    else if ((MODEL_STAGES as readonly unknown[]).includes(reference)) {
      row = this.#store.get<Row>(`${base} AND v.stage = ? ORDER BY v.number DESC LIMIT 1`, modelId, reference)
    } else if (typeof reference === 'number' || /^\d+$/.test(reference)) {
      row = this.#store.get<Row>(`${base} AND v.number = ?`, modelId, Number(reference))
    } else row = this.#store.get<Row>(`${base} AND v.name = ?`, modelId, reference)
    return row ? toVersion(row) : undefined
  }

  /**
   * A version by number, name, stage or `latest`.
   * @throws StrataError `MODEL_NOT_FOUND`, `MODEL_STAGE_EMPTY` or `MODEL_VERSION_NOT_FOUND`, naming the model
   */
  version(modelName: string, reference: string | number): ModelVersionRecord {
    const model = this.require(modelName)
    const found = this.#findVersion(model.id, reference)
    if (found) return found
    if (reference === 'latest') {
      throw new StrataError(
        'MODEL_VERSION_NOT_FOUND',
        `model '${modelName}' has no versions yet — run a pipeline that declares model: { name: '${modelName}' }`,
      )
    }
    if ((MODEL_STAGES as readonly unknown[]).includes(reference)) {
      throw new StrataError(
        'MODEL_STAGE_EMPTY',
        `model '${modelName}' has no version in stage '${reference}' — promote one with 'strata model version update ${modelName} VERSION --stage ${reference}'`,
        { details: { model: modelName, stage: reference } },
      )
    }
    throw new StrataError(
      'MODEL_VERSION_NOT_FOUND',
      `model '${modelName}' has no version '${reference}' — see 'strata model version list ${modelName}'`,
    )
  }

  versions(
    modelName: string,
    options: { page?: number; size?: number; stage?: ModelStage } = {},
  ): Page<ModelVersionRecord> {
    const model = this.require(modelName)
    const { page, size, offset } = pageWindow(options)
    const filter = options.stage ? 'AND v.stage = ?' : ''
    const params = options.stage ? [model.id, options.stage] : [model.id]
    const total =
      this.#store.get<{ n: number }>(
        `SELECT COUNT(*) AS n FROM model_versions v WHERE v.model_id = ? ${filter}`,
        ...params,
      )?.n ?? 0
    const items = this.#store
      .all<Row>(
        `SELECT ${VERSION_COLUMNS} FROM model_versions v JOIN models m ON m.id = v.model_id WHERE v.model_id = ? ${filter}
         ORDER BY v.number DESC LIMIT ? OFFSET ?`,
        ...params,
        size,
        offset,
      )
      .map(toVersion)
    return { items, total, page, size }
  }

  updateVersion(
    modelName: string,
    reference: string | number,
    fields: { name?: string | null; description?: string | null; tags?: string[] },
  ): ModelVersionRecord {
    checkNames({ ...fields, name: fields.name ?? undefined }, 'model version name')
    return this.#store.transaction(() => {
      const version = this.version(modelName, reference)
      this.#store.run(
        'UPDATE model_versions SET name = ?, description = ?, tags = ?, updated_at = ? WHERE id = ?',
        fields.name === undefined ? version.name : fields.name,
        fields.description === undefined ? version.description : fields.description,
        JSON.stringify(fields.tags ?? version.tags),
        now(),
        version.id,
      )
      return readBack(this.versionById(version.id), `model version ${version.id}`)
    })
  }

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
  ): ModelVersionRecord {
    return this.#store.transaction(() => {
      const version = this.version(modelName, reference)
      if (version.stage === stage) return version
      const at = now()
      if (stage && EXCLUSIVE_STAGES.includes(stage)) {
        const holder = this.#findVersion(version.modelId, stage)
        if (holder && holder.id !== version.id) {
          if (!options.force) {
            throw new StrataError(
              'MODEL_STAGE_OCCUPIED',
              `version ${holder.number} of model '${modelName}' is already in ${stage} — pass --force to archive it and promote version ${version.number}`,
              { details: { model: modelName, stage, holder: holder.number } },
            )
          }
          this.#store.run(
            "UPDATE model_versions SET stage = 'archived', updated_at = ? WHERE id = ?",
            at,
            holder.id,
          )
          this.#recordStage(holder.id, stage, 'archived', options.actor, at)
        }
      }
      this.#store.run(
        'UPDATE model_versions SET stage = ?, updated_at = ? WHERE id = ?',
        stage,
        at,
        version.id,
      )
      this.#recordStage(version.id, version.stage, stage, options.actor, at)
      return readBack(this.versionById(version.id), `model version ${version.id}`)
    })
  }

  #recordStage(
    versionId: string,
    from: ModelStage | null,
    to: ModelStage | null,
    actor: string,
    at: string,
  ): void {
    this.#store.run(
      'INSERT INTO model_stage_events (model_version_id, from_stage, to_stage, actor, at) VALUES (?, ?, ?, ?, ?)',
      versionId,
      from,
      to,
      actor,
      at,
    )
  }

  /** Stage changes of a model's versions, oldest first. */
  stageEvents(modelName: string): StageEvent[] {
    const model = this.require(modelName)
    return this.#store
      .all<Row>(
        `SELECT e.model_version_id, v.number, e.from_stage, e.to_stage, e.actor, e.at FROM model_stage_events e
         JOIN model_versions v ON v.id = e.model_version_id WHERE v.model_id = ? ORDER BY e.id`,
        model.id,
      )
      .map((row) => ({
        versionId: row.model_version_id as string,
        number: row.number as number,
        from: (row.from_stage as ModelStage | null) ?? null,
        to: (row.to_stage as ModelStage | null) ?? null,
        actor: row.actor as string,
        at: row.at as string,
      }))
  }

  deleteVersion(modelName: string, reference: string | number): ModelVersionRecord {
    return this.#store.transaction(() => {
      const version = this.version(modelName, reference)
      this.#store.run('UPDATE runs SET model_version_id = NULL WHERE model_version_id = ?', version.id)
      this.#store.run('DELETE FROM model_versions WHERE id = ?', version.id)
      return version
    })
  }

  linkArtifact(versionId: string, artifactVersionId: string, kind: ModelArtifactKind): void {
    this.#store.run(
      `INSERT INTO model_version_artifacts (model_version_id, artifact_version_id, kind) VALUES (?, ?, ?)
       ON CONFLICT (model_version_id, artifact_version_id) DO UPDATE SET kind = excluded.kind`,
      versionId,
      artifactVersionId,
      kind,
    )
  }

  linkRun(versionId: string, runId: string): void {
    this.#store.run(
      'INSERT INTO model_version_runs (model_version_id, run_id) VALUES (?, ?) ON CONFLICT DO NOTHING',
      versionId,
      runId,
    )
  }

  runLinks(runId: string): number {
    return (
      this.#store.get<{ n: number }>('SELECT COUNT(*) AS n FROM model_version_runs WHERE run_id = ?', runId)
        ?.n ?? 0
    )
  }

  /** Artifact versions linked to a model version, newest first per artifact name. */
  artifacts(versionId: string): ModelArtifactLink[] {
    return this.#store
      .all<Row>(
        `SELECT l.artifact_version_id, a.name, av.version, l.kind FROM model_version_artifacts l
         JOIN artifact_versions av ON av.id = l.artifact_version_id JOIN artifacts a ON a.id = av.artifact_id
         WHERE l.model_version_id = ? ORDER BY a.name, av.version DESC`,
        versionId,
      )
      .map((row) => ({
        artifactVersionId: row.artifact_version_id as string,
        name: row.name as string,
        version: row.version as number,
        kind: row.kind as ModelArtifactKind,
      }))
  }

  runs(versionId: string): ModelRunLink[] {
    return this.#store
      .all<Row>(
        `SELECT r.id, r.name, r.status, r.created_at FROM model_version_runs l JOIN runs r ON r.id = l.run_id
         WHERE l.model_version_id = ? ORDER BY r.created_at`,
        versionId,
      )
      .map((row) => ({
        id: row.id as string,
        name: row.name as string,
        status: row.status as string,
        createdAt: row.created_at as string,
      }))
  }
}
