import { StrataError } from '@strata/core/base'
import { crypto } from '../lazy-crypto.js'
import type {
  ArtifactRepository,
  ArtifactSaveType,
  ArtifactSummary,
  ArtifactVersionRecord,
  NewArtifactVersion,
} from '../repositories/artifacts.js'
import type { Page } from '../repositories/runs.js'
import { pageWindow } from './list-clause.js'
import type { Synchronous } from './queued-repository.js'
import { now, type Row, type SqliteDatabase } from './sqlite-database.js'

const VERSION_COLUMNS = `v.id, v.artifact_id, a.name, v.version, v.kind, v.artifact_store_uri, v.prefix, v.materializer,
  v.materializer_version, v.data_type, v.digest, v.size, v.producer_step_run_id, v.save_type, v.created_at`

function toVersion(row: Row): ArtifactVersionRecord {
  return {
    id: row.id as string,
    artifactId: row.artifact_id as string,
    name: row.name as string,
    version: row.version as number,
    kind: row.kind as string,
    artifactStoreUri: row.artifact_store_uri as string,
    prefix: row.prefix as string,
    materializer: row.materializer as string,
    materializerVersion: row.materializer_version as number,
    dataType: row.data_type as string,
    digest: row.digest as string,
    size: row.size as number,
    producerStepRunId: (row.producer_step_run_id as string | null) ?? null,
    saveType: row.save_type as ArtifactSaveType,
    createdAt: row.created_at as string,
  }
}

/** Artifacts and their versions in SQLite. */
export class SqliteArtifactRepository implements Synchronous<ArtifactRepository> {
  readonly #store: SqliteDatabase

  constructor(store: SqliteDatabase) {
    this.#store = store
  }

  /**
   * Records a version whose bytes are already in the artifact store; its number is the next for its name,
   * assigned inside the write transaction. Recording the same id (or prefix) twice returns the first record.
   */
  createVersion(version: NewArtifactVersion): ArtifactVersionRecord {
    return this.#store.transaction(() => {
      const existing = this.#store.get<Row>(
        `SELECT ${VERSION_COLUMNS} FROM artifact_versions v JOIN artifacts a ON a.id = v.artifact_id
         WHERE v.id = ? OR (v.artifact_store_uri = ? AND v.prefix = ?)`,
        version.id ?? '',
        version.artifactStoreUri,
        version.prefix,
      )
      if (existing) return toVersion(existing)
      let artifact = this.#store.get<{ id: string }>('SELECT id FROM artifacts WHERE name = ?', version.name)
      if (!artifact) {
        artifact = { id: crypto().randomUUID() }
        this.#store.run(
          'INSERT INTO artifacts (id, name, created_at) VALUES (?, ?, ?)',
          artifact.id,
          version.name,
          now(),
        )
      }
      const next =
        (this.#store.get<{ n: number | null }>(
          'SELECT MAX(version) AS n FROM artifact_versions WHERE artifact_id = ?',
          artifact.id,
        )?.n ?? 0) + 1
      const id = version.id ?? crypto().randomUUID()
      this.#store.run(
        `INSERT INTO artifact_versions (id, artifact_id, version, kind, artifact_store_uri, prefix, materializer,
           materializer_version, data_type, digest, size, producer_step_run_id, save_type, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        id,
        artifact.id,
        next,
        version.kind,
        version.artifactStoreUri,
        version.prefix,
        version.materializer,
        version.materializerVersion,
        version.dataType,
        version.digest,
        version.size,
        version.producerStepRunId ?? null,
        version.saveType,
        now(),
      )
      return this.requireVersionById(id)
    })
  }

  versionById(id: string): ArtifactVersionRecord | undefined {
    const row = this.#store.get<Row>(
      `SELECT ${VERSION_COLUMNS} FROM artifact_versions v JOIN artifacts a ON a.id = v.artifact_id WHERE v.id = ?`,
      id,
    )
    return row ? toVersion(row) : undefined
  }

  requireVersionById(id: string): ArtifactVersionRecord {
    const version = this.versionById(id)
    if (version) return version
    throw new StrataError(
      'ARTIFACT_VERSION_NOT_FOUND',
      `no artifact version '${id}' — list them with 'strata artifact list'`,
    )
  }

  /**
   * A version of a named artifact: a number, or the newest when omitted.
   * @throws StrataError `ARTIFACT_VERSION_NOT_FOUND` naming the artifact and the versions it has
   */
  version(name: string, version?: number): ArtifactVersionRecord {
    const row = this.#store.get<Row>(
      `SELECT ${VERSION_COLUMNS} FROM artifact_versions v JOIN artifacts a ON a.id = v.artifact_id
       WHERE a.name = ? ${version === undefined ? '' : 'AND v.version = ?'} ORDER BY v.version DESC LIMIT 1`,
      ...(version === undefined ? [name] : [name, version]),
    )
    if (row) return toVersion(row)
    const known = this.#store.get<{ n: number }>(
      'SELECT COUNT(*) AS n FROM artifact_versions v JOIN artifacts a ON a.id = v.artifact_id WHERE a.name = ?',
      name,
    )?.n
    throw new StrataError(
      'ARTIFACT_VERSION_NOT_FOUND',
      known
        ? `artifact '${name}' has no version ${version} (it has ${known}) — see 'strata artifact versions ${name}'`
        : `no artifact named '${name}' — list artifacts with 'strata artifact list'`,
      { details: { artifact: name, version } },
    )
  }

  list(options: { name?: string; page?: number; size?: number } = {}): Page<ArtifactSummary> {
    const { page, size, offset } = pageWindow(options)
    const filter = options.name ? 'WHERE a.name LIKE ?' : ''
    const params = options.name ? [`%${options.name}%`] : []
    const total =
      this.#store.get<{ n: number }>(`SELECT COUNT(*) AS n FROM artifacts a ${filter}`, ...params)?.n ?? 0
    const items = this.#store
      .all<Row>(
        `SELECT a.id, a.name, COUNT(v.id) AS versions, MAX(v.version) AS latest, MAX(v.created_at) AS latest_at
         FROM artifacts a LEFT JOIN artifact_versions v ON v.artifact_id = a.id ${filter}
         GROUP BY a.id ORDER BY a.name LIMIT ? OFFSET ?`,
        ...params,
        size,
        offset,
      )
      .map((row) => ({
        id: row.id as string,
        name: row.name as string,
        versions: row.versions as number,
        latestVersion: (row.latest as number | null) ?? 0,
        latestCreatedAt: (row.latest_at as string | null) ?? '',
      }))
    return { items, total, page, size }
  }

  versions(name: string, options: { page?: number; size?: number } = {}): Page<ArtifactVersionRecord> {
    const { page, size, offset } = pageWindow(options)
    const total =
      this.#store.get<{ n: number }>(
        'SELECT COUNT(*) AS n FROM artifact_versions v JOIN artifacts a ON a.id = v.artifact_id WHERE a.name = ?',
        name,
      )?.n ?? 0
    const items = this.#store
      .all<Row>(
        `SELECT ${VERSION_COLUMNS} FROM artifact_versions v JOIN artifacts a ON a.id = v.artifact_id
         WHERE a.name = ? ORDER BY v.version DESC LIMIT ? OFFSET ?`,
        name,
        size,
        offset,
      )
      .map(toVersion)
    return { items, total, page, size }
  }

  /** Every recorded prefix in one artifact store (to find orphaned prefixes). */
  prefixes(artifactStoreUri: string): Set<string> {
    return new Set(
      this.#store
        .all<{ prefix: string }>(
          'SELECT prefix FROM artifact_versions WHERE artifact_store_uri = ?',
          artifactStoreUri,
        )
        .map((row) => row.prefix),
    )
  }

  /**
   * Step outputs nothing refers to any more: their run was deleted, no step run consumed them, and no
   * model version links them. Manually saved and registered versions are never unreferenced.
   */
  unreferencedVersions(): ArtifactVersionRecord[] {
    return this.#store
      .all<Row>(
        `SELECT ${VERSION_COLUMNS} FROM artifact_versions v JOIN artifacts a ON a.id = v.artifact_id
         WHERE v.save_type = 'step_output' AND v.producer_step_run_id IS NULL
           AND NOT EXISTS (SELECT 1 FROM step_run_artifacts l WHERE l.artifact_version_id = v.id)
           AND NOT EXISTS (SELECT 1 FROM model_version_artifacts m WHERE m.artifact_version_id = v.id)
         ORDER BY a.name, v.version`,
      )
      .map(toVersion)
  }

  deleteVersion(id: string): void {
    this.#store.transaction(() => {
      const artifact = this.#store.get<{ artifact_id: string }>(
        'SELECT artifact_id FROM artifact_versions WHERE id = ?',
        id,
      )
      this.#store.run('DELETE FROM artifact_versions WHERE id = ?', id)
      if (artifact) {
        this.#store.run(
          'DELETE FROM artifacts WHERE id = ? AND NOT EXISTS (SELECT 1 FROM artifact_versions WHERE artifact_id = ?)',
          artifact.artifact_id,
          artifact.artifact_id,
        )
      }
    })
  }
}
