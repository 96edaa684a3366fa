import { StrataError } from '@strata/core/base'
import { crypto } from '../lazy-crypto.js'
import type {
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
} from '../repositories/runs.js'
import { pageWindow } from './list-clause.js'
import type { Synchronous } from './queued-repository.js'
import { now, type Row, readBack, type SqliteDatabase } from './sqlite-database.js'

const RUN_COLUMNS = `r.id, r.name, r.pipeline_id, p.name AS pipeline_name, r.status, r.stack_name, r.artifact_store_uri,
  r.parameters, r.owner_host, r.owner_pid, r.owner_started_at, r.heartbeat_at, r.lease_ms, r.error,
  r.model_version_id, r.resumed_from, r.remote, r.schedule_id, r.created_at, r.ended_at`

function toRun(row: Row): RunRecord {
  return {
    id: row.id as string,
    name: row.name as string,
    pipelineId: row.pipeline_id as string,
    pipelineName: row.pipeline_name as string,
    status: row.status as RunStatus,
    stackName: row.stack_name as string,
    artifactStoreUri: row.artifact_store_uri as string,
    parameters: JSON.parse(row.parameters as string) as Record<string, unknown>,
    owner: {
      host: row.owner_host as string,
      pid: row.owner_pid as number,
      startedAt: row.owner_started_at as string,
    },
    heartbeatAt: row.heartbeat_at as string,
    leaseMs: row.lease_ms as number,
    error: (row.error as string | null) ?? null,
    modelVersionId: (row.model_version_id as string | null) ?? null,
    resumedFrom: (row.resumed_from as string | null) ?? null,
    remote: row.remote ? (JSON.parse(row.remote as string) as RemoteRun) : null,
    scheduleId: (row.schedule_id as string | null) ?? null,
    createdAt: row.created_at as string,
    endedAt: (row.ended_at as string | null) ?? null,
  }
}

function toStepRun(row: Row): StepRunRecord {
  return {
    id: row.id as string,
    runId: row.run_id as string,
    name: row.name as string,
    step: row.step as string,
    status: row.status as StepRunStatus,
    attempts: row.attempts as number,
    cacheKey: (row.cache_key as string | null) ?? null,
    cacheParts: row.cache_parts ? (JSON.parse(row.cache_parts as string) as Record<string, unknown>) : null,
    cachedFrom: (row.cached_from as string | null) ?? null,
    error: (row.error as string | null) ?? null,
    logKey: (row.log_key as string | null) ?? null,
    startedAt: (row.started_at as string | null) ?? null,
    endedAt: (row.ended_at as string | null) ?? null,
  }
}

/** Pipelines, runs and step runs in SQLite. */
export class SqliteRunRepository implements Synchronous<RunRepository> {
  readonly #store: SqliteDatabase

  constructor(store: SqliteDatabase) {
    this.#store = store
  }

  /** The pipeline's id, creating the pipeline on first use. */
  ensurePipeline(name: string): string {
    const existing = this.#store.get<{ id: string }>('SELECT id FROM pipelines WHERE name = ?', name)
    if (existing) return existing.id
    const id = crypto().randomUUID()
    this.#store.run('INSERT INTO pipelines (id, name, created_at) VALUES (?, ?, ?)', id, name, now())
    return id
  }

  listPipelines(): PipelineSummary[] {
    return this.#store
      .all<Row>(
        `SELECT p.id, p.name, p.created_at, COUNT(r.id) AS runs, MAX(r.created_at) AS last_run_at
         FROM pipelines p LEFT JOIN runs r ON r.pipeline_id = p.id GROUP BY p.id ORDER BY p.name`,
      )
      .map((row) => ({
        id: row.id as string,
        name: row.name as string,
        createdAt: row.created_at as string,
        runs: row.runs as number,
        lastRunAt: (row.last_run_at as string | null) ?? null,
      }))
  }

  /** @throws StrataError `RUN_EXISTS` when a run already has the name (also one another process just made) */
  create(run: NewRun): RunRecord {
    return this.#store.transaction(() => {
      // Inside the write transaction (BEGIN IMMEDIATE): no other process can take the name before the insert.
      if (this.#store.get('SELECT 1 FROM runs WHERE name = ?', run.name)) {
        throw new StrataError(
          'RUN_EXISTS',
          `a run named '${run.name}' already exists — give this run another name (runName, in the run config or in run()), or leave runName out to get a new name each run`,
          { details: { run: run.name } },
        )
      }
      const id = run.id ?? crypto().randomUUID()
      const at = now()
      this.#store.run(
        `INSERT INTO runs (id, name, pipeline_id, status, stack_name, artifact_store_uri, snapshot, parameters,
           owner_host, owner_pid, owner_started_at, heartbeat_at, lease_ms, resumed_from, schedule_id, created_at)
         VALUES (?, ?, ?, 'initializing', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        id,
        run.name,
        this.ensurePipeline(run.pipelineName),
        run.stackName,
        run.artifactStoreUri,
        JSON.stringify(run.snapshot),
        JSON.stringify(run.parameters),
        run.owner.host,
        run.owner.pid,
        run.owner.startedAt,
        at,
        run.leaseMs,
        run.resumedFrom ?? null,
        run.scheduleId ?? null,
        at,
      )
      return this.require(id)
    })
  }

  /** A run by id, name, or unique id prefix (at least 4 characters). */
  find(reference: string): RunRecord | undefined {
    const from = 'FROM runs r JOIN pipelines p ON p.id = r.pipeline_id'
    const exact = this.#store.get<Row>(
      `SELECT ${RUN_COLUMNS} ${from} WHERE r.id = ? OR r.name = ?`,
      reference,
      reference,
    )
    if (exact) return toRun(exact)
    if (reference.length < 4) return undefined
    const candidates = this.#store.all<Row>(
      `SELECT ${RUN_COLUMNS} ${from} WHERE r.id LIKE ? LIMIT 2`,
      `${reference}%`,
    )
    return candidates.length === 1 && candidates[0] ? toRun(candidates[0]) : undefined
  }

  /**
   * @throws StrataError `RUN_NOT_FOUND` with how to list runs
   */
  require(reference: string): RunRecord {
    const run = this.find(reference)
    if (run) return run
    throw new StrataError(
      'RUN_NOT_FOUND',
      `no pipeline run '${reference}' — list runs with 'strata pipeline runs list'`,
      { details: { run: reference } },
    )
  }

  /** The stored snapshot of a run. */
  snapshot<T = unknown>(runId: string): T {
    const row = this.#store.get<{ snapshot: string }>('SELECT snapshot FROM runs WHERE id = ?', runId)
    if (!row)
      throw new StrataError(
        'RUN_NOT_FOUND',
        `no pipeline run '${runId}' — list runs with 'strata pipeline runs list'`,
      )
    return JSON.parse(row.snapshot) as T
  }

  updateSnapshot(runId: string, snapshot: unknown): void {
    this.#store.run('UPDATE runs SET snapshot = ? WHERE id = ?', JSON.stringify(snapshot), runId)
  }

  list(options: ListRunsOptions = {}): Page<RunRecord> {
    const { page, size, offset } = pageWindow(options)
    const where: string[] = []
    const params: unknown[] = []
    if (options.pipeline) {
      where.push('p.name = ?')
      params.push(options.pipeline)
    }
    if (options.status) {
      where.push('r.status = ?')
      params.push(options.status)
    }
    const filter = where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''
    const order =
      options.sort === 'created_asc' ? 'r.created_at ASC, r.id ASC' : 'r.created_at DESC, r.id DESC'
    const total =
      this.#store.get<{ n: number }>(
        `SELECT COUNT(*) AS n FROM runs r JOIN pipelines p ON p.id = r.pipeline_id ${filter}`,
        ...params,
      )?.n ?? 0
    const items = this.#store
      .all<Row>(
        `SELECT ${RUN_COLUMNS} FROM runs r JOIN pipelines p ON p.id = r.pipeline_id ${filter} ORDER BY ${order} LIMIT ? OFFSET ?`,
        ...params,
        size,
        offset,
      )
      .map(toRun)
    return { items, total, page, size }
  }

  /** Runs whose status says they are still going (to check their owners). */
  active(): RunRecord[] {
    return this.#store
      .all<Row>(
        `SELECT ${RUN_COLUMNS} FROM runs r JOIN pipelines p ON p.id = r.pipeline_id WHERE r.status IN ('initializing', 'running')`,
      )
      .map(toRun)
  }

  setStatus(runId: string, status: RunStatus, fields: { error?: string | null; ended?: boolean } = {}): void {
    this.#store.run(
      `UPDATE runs SET status = ?, error = COALESCE(?, error), ended_at = CASE WHEN ? THEN ? ELSE ended_at END WHERE id = ?`,
      status,
      fields.error ?? null,
      fields.ended ? 1 : 0,
      now(),
      runId,
    )
  }

  /**
   * Sets an ended run's outcome as derived from its steps (`strata pipeline runs sync`): its status, its
   * error (`null` clears it) and, when given, when it ended.
   */
  settle(runId: string, status: RunStatus, fields: { error: string | null; endedAt?: string }): void {
    this.#store.run(
      'UPDATE runs SET status = ?, error = ?, ended_at = COALESCE(?, ended_at) WHERE id = ?',
      status,
      fields.error,
      fields.endedAt ?? null,
      runId,
    )
  }

  /**
   * Marks a still-active run failed (its owner is gone). Only changes a run that is still active, so two
   * processes deciding at once cannot both act.
   */
  markAbandoned(runId: string, reason: string): boolean {
    return this.#store.transaction(() => {
      const changed = this.#store.run(
        `UPDATE runs SET status = 'failed', error = ?, ended_at = ? WHERE id = ? AND status IN ('initializing', 'running')`,
        reason,
        now(),
        runId,
      )
      if (changed > 0) {
        this.#store.run(
          `UPDATE step_runs SET status = 'failed', error = ?, ended_at = ? WHERE run_id = ? AND status IN ('initializing', 'running', 'retrying')`,
          reason,
          now(),
          runId,
        )
      }
      return changed > 0
    })
  }

  /** Takes a finished run over again (resume): this process owns it now, its error and end are cleared. */
  reopen(runId: string, owner: RunOwner): void {
    this.#store.run(
      `UPDATE runs SET status = 'running', error = NULL, ended_at = NULL, owner_host = ?, owner_pid = ?, owner_started_at = ?, heartbeat_at = ? WHERE id = ?`,
      owner.host,
      owner.pid,
      owner.startedAt,
      now(),
      runId,
    )
  }

  heartbeat(runId: string): void {
    this.#store.run('UPDATE runs SET heartbeat_at = ? WHERE id = ?', now(), runId)
  }

  setModelVersion(runId: string, modelVersionId: string): void {
    this.#store.run('UPDATE runs SET model_version_id = ? WHERE id = ?', modelVersionId, runId)
  }
  setRemote(runId: string, remote: RemoteRun): void {
    this.#store.run('UPDATE runs SET remote = ? WHERE id = ?', JSON.stringify(remote), runId)
  }

  activeRemote(): RunRecord[] {
    return this.#store
      .all<Row>(
        `SELECT ${RUN_COLUMNS} FROM runs r JOIN pipelines p ON p.id = r.pipeline_id
         WHERE r.remote IS NOT NULL AND r.status IN ('initializing', 'running') ORDER BY r.created_at`,
      )
      .map(toRun)
  }

  delete(runId: string): void {
    this.#store.transaction(() => {
      this.#store.run('DELETE FROM model_version_runs WHERE run_id = ?', runId)
      this.#store.run('DELETE FROM runs WHERE id = ?', runId)
    })
  }

  /**
   * Creates or updates a step run (keyed by run and invocation id) in one statement; returns its id. A new
   * row takes `update.id` (else a fresh one), `status` (else `initializing`) and `step` (else the name);
   * an existing row changes only the fields given.
   */
  upsertStepRun(runId: string, name: string, update: StepRunUpdate & { id?: string }): string {
    const columns: Record<string, unknown> = {
      step: update.step,
      status: update.status,
      attempts: update.attempts,
      cache_key: update.cacheKey,
      cache_parts:
        update.cacheParts === undefined
          ? undefined
          : update.cacheParts === null
            ? null
            : JSON.stringify(update.cacheParts),
      cached_from: update.cachedFrom,
      error: update.error,
      log_key: update.logKey,
      started_at: update.startedAt,
      ended_at: update.endedAt,
    }
    const set = Object.entries(columns)
      .filter(([, value]) => value !== undefined)
      .map(([column]) => column)
    const values = {
      ...Object.fromEntries(set.map((column) => [column, columns[column]])),
      status: update.status ?? 'initializing',
      step: update.step ?? name,
    }
    const names = Object.keys(values)
    // With nothing to change, a no-op update still makes RETURNING report the existing row's id.
    const assignments =
      set.length > 0 ? set.map((column) => `${column} = excluded.${column}`) : ['name = excluded.name']
    const row = this.#store.get<{ id: string }>(
      `INSERT INTO step_runs (id, run_id, name, ${names.join(', ')}) VALUES (?, ?, ?, ${names.map(() => '?').join(', ')})
       ON CONFLICT (run_id, name) DO UPDATE SET ${assignments.join(', ')} RETURNING id`,
      update.id ?? crypto().randomUUID(),
      runId,
      name,
      ...Object.values(values),
    )
    return readBack(row, `step run '${name}' of run ${runId}`).id
  }

  stepRuns(runId: string): StepRunRecord[] {
    return this.#store
      .all<Row>('SELECT * FROM step_runs WHERE run_id = ? ORDER BY started_at, name', runId)
      .map(toStepRun)
  }

  stepRun(runId: string, name: string): StepRunRecord | undefined {
    const row = this.#store.get<Row>('SELECT * FROM step_runs WHERE run_id = ? AND name = ?', runId, name)
    return row ? toStepRun(row) : undefined
  }

  stepRunById(id: string): StepRunRecord | undefined {
    const row = this.#store.get<Row>('SELECT * FROM step_runs WHERE id = ?', id)
    return row ? toStepRun(row) : undefined
  }

  /**
   * The newest completed step run with this cache key whose outputs still exist: an indexed query.
   * A cached step run points at the run that really produced the outputs.
   */
  findCacheHit(cacheKey: string): CacheHit | undefined {
    const row = this.#store.get<{ id: string; run_id: string }>(
      `SELECT id, run_id FROM step_runs WHERE cache_key = ? AND status = 'completed' ORDER BY ended_at DESC LIMIT 1`,
      cacheKey,
    )
    if (!row) return undefined
    return { stepRunId: row.id, runId: row.run_id, outputs: this.stepArtifacts(row.id, 'output') }
  }

  cacheCandidates(
    step: string,
    codeFingerprint: string,
    limit: number,
  ): Array<{ stepRunId: string; cacheKey: string; cacheParts: Record<string, unknown> | null }> {
    return this.#store
      .all<Row>(
        `SELECT id, cache_key, cache_parts FROM step_runs
         WHERE step = ? AND status = 'completed' AND cache_key IS NOT NULL AND json_extract(cache_parts, '$.code') = ?
         ORDER BY ended_at DESC LIMIT ?`,
        step,
        codeFingerprint,
        limit,
      )
      .map((row) => ({
        stepRunId: row.id as string,
        cacheKey: row.cache_key as string,
        cacheParts: row.cache_parts
          ? (JSON.parse(row.cache_parts as string) as Record<string, unknown>)
          : null,
      }))
  }

  /** The previous step run of the same pipeline step (for explain-cache). */
  previousStepRun(stepRun: StepRunRecord): StepRunRecord | undefined {
    const row = this.#store.get<Row>(
      `SELECT s.* FROM step_runs s JOIN runs r ON r.id = s.run_id
       WHERE s.name = ? AND r.pipeline_id = (SELECT pipeline_id FROM runs WHERE id = ?) AND s.cache_parts IS NOT NULL
         AND r.created_at < (SELECT created_at FROM runs WHERE id = ?) AND s.id != ?
       ORDER BY r.created_at DESC LIMIT 1`,
      stepRun.name,
      stepRun.runId,
      stepRun.runId,
      stepRun.id,
    )
    return row ? toStepRun(row) : undefined
  }

  linkArtifact(
    stepRunId: string,
    direction: 'input' | 'output',
    name: string,
    artifactVersionId: string,
  ): void {
    this.#store.run(
      `INSERT INTO step_run_artifacts (step_run_id, direction, name, artifact_version_id) VALUES (?, ?, ?, ?)
       ON CONFLICT (step_run_id, direction, name) DO UPDATE SET artifact_version_id = excluded.artifact_version_id`,
      stepRunId,
      direction,
      name,
      artifactVersionId,
    )
  }

  /** Name → artifact version id of a step run's inputs or outputs. */
  stepArtifacts(stepRunId: string, direction: 'input' | 'output'): Record<string, string> {
    const rows = this.#store.all<{ name: string; artifact_version_id: string }>(
      'SELECT name, artifact_version_id FROM step_run_artifacts WHERE step_run_id = ? AND direction = ?',
      stepRunId,
      direction,
    )
    return Object.fromEntries(rows.map((row) => [row.name, row.artifact_version_id]))
  }

  /** Attaches metadata to an entity; `eventId` makes re-ingesting a journal harmless. */
  addMetadata(
    entityType: MetadataEntityType,
    entityId: string,
    values: Record<string, unknown>,
    eventId?: string,
  ): void {
    const at = now()
    for (const [index, [key, value]] of Object.entries(values).entries()) {
      this.#store.run(
        `INSERT INTO metadata (event_id, entity_type, entity_id, key, value, created_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (event_id) DO NOTHING`,
        eventId === undefined ? null : `${eventId}:${index}`,
        entityType,
        entityId,
        key,
        JSON.stringify(value),
        at,
      )
    }
  }

  /** The latest value of each metadata key of an entity. */
  metadata(entityType: MetadataEntityType, entityId: string): Record<string, unknown> {
    const rows = this.#store.all<{ key: string; value: string }>(
      'SELECT key, value FROM metadata WHERE entity_type = ? AND entity_id = ? ORDER BY id',
      entityType,
      entityId,
    )
    return Object.fromEntries(rows.map((row) => [row.key, JSON.parse(row.value)]))
  }
}
