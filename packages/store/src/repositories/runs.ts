export type RunStatus = 'initializing' | 'running' | 'completed' | 'failed' | 'stopped'
export type StepRunStatus =
  | 'initializing'
  | 'running'
  | 'retrying'
  | 'completed'
  | 'cached'
  | 'failed'
  | 'stopped'
  | 'skipped'

/** Who runs a run: a run is failed only when its owner is provably gone or its lease expired. */
export interface RunOwner {
  host: string
  pid: number
  /** When the owning process started (ISO), so a reused pid is not mistaken for the owner. */
  startedAt: string
}

/** Where a run that a remote orchestrator carries is found again: its component and the orchestrator's handle. */
export interface RemoteRun {
  /** The orchestrator component's name. */
  orchestrator: string
  handle: Record<string, unknown>
}

export interface RunRecord {
  id: string
  name: string
  pipelineId: string
  pipelineName: string
  status: RunStatus
  stackName: string
  artifactStoreUri: string
  parameters: Record<string, unknown>
  owner: RunOwner
  heartbeatAt: string
  leaseMs: number
  error: string | null
  modelVersionId: string | null
  resumedFrom: string | null
  /** Set once a remote orchestrator took the run: it owns the run from then on, not a local process. */
  remote: RemoteRun | null
  /** The schedule that started the run, if one did. */
  scheduleId: string | null
  createdAt: string
  endedAt: string | null
}

export interface StepRunRecord {
  id: string
  runId: string
  name: string
  step: string
  status: StepRunStatus
  attempts: number
  cacheKey: string | null
  cacheParts: Record<string, unknown> | null
  cachedFrom: string | null
  error: string | null
  logKey: string | null
  startedAt: string | null
  endedAt: string | null
}

export interface NewRun {
  id?: string
  name: string
  pipelineName: string
  stackName: string
  artifactStoreUri: string
  snapshot: unknown
  parameters: Record<string, unknown>
  owner: RunOwner
  leaseMs: number
  resumedFrom?: string
  scheduleId?: string
}

export interface Page<T> {
  items: T[]
  total: number
  page: number
  size: number
}

export interface ListRunsOptions {
  pipeline?: string
  status?: RunStatus
  /** 1-based. @default 1 */
  page?: number
  /** @default 20 */
  size?: number
  /** @default 'created_desc' */
  sort?: 'created_desc' | 'created_asc'
}

export interface StepRunUpdate {
  step?: string
  status?: StepRunStatus
  attempts?: number
  cacheKey?: string | null
  cacheParts?: Record<string, unknown> | null
  cachedFrom?: string | null
  error?: string | null
  logKey?: string | null
  startedAt?: string | null
  endedAt?: string | null
}

export interface CacheHit {
  stepRunId: string
  runId: string
  /** Output name → artifact version id. */
  outputs: Record<string, string>
}

/** A pipeline that has run: its name, when it first ran, how many runs it has and when the last began. */
export interface PipelineSummary {
  id: string
  name: string
  createdAt: string
  runs: number
  lastRunAt: string | null
}

/** Where metadata is attached. */
export type MetadataEntityType = 'run' | 'step_run' | 'artifact_version' | 'model_version'

/** Pipelines, runs, step runs, their artifact links and metadata. */
export interface RunRepository {
  /** The pipeline's id, creating the pipeline on first use. */
  ensurePipeline(name: string): Promise<string>
  /** Every pipeline with its run count and when its last run began, sorted by name. */
  listPipelines(): Promise<PipelineSummary[]>
  /** Records a new run (`initializing`), creating its pipeline on first use. */
  create(run: NewRun): Promise<RunRecord>
  /** A run by id, name, or unique id prefix (at least 4 characters). */
  find(reference: string): Promise<RunRecord | undefined>
  /** @throws StrataError `RUN_NOT_FOUND` with how to list runs */
  require(reference: string): Promise<RunRecord>
  /**
   * The stored snapshot of a run.
   * @throws StrataError `RUN_NOT_FOUND`
   */
  snapshot<T = unknown>(runId: string): Promise<T>
  updateSnapshot(runId: string, snapshot: unknown): Promise<void>
  /** One page of runs, newest first unless `sort` says otherwise. */
  list(options?: ListRunsOptions): Promise<Page<RunRecord>>
  /** Runs whose status says they are still going (to check their owners). */
  active(): Promise<RunRecord[]>
  setStatus(
    runId: string,
    status: RunStatus,
    fields?: { error?: string | null; ended?: boolean },
  ): Promise<void>
  /**
   * Sets an ended run's outcome as derived from its steps (`strata pipeline runs sync`): its status, its
   * error (`null` clears it) and, when given, when it ended.
   */
  settle(runId: string, status: RunStatus, fields: { error: string | null; endedAt?: string }): Promise<void>
  /**
   * Marks a still-active run failed (its owner is gone), with its unfinished step runs. Only changes a run
   * that is still active, so two processes deciding at once cannot both act; returns whether it did.
   */
  markAbandoned(runId: string, reason: string): Promise<boolean>
  /** Takes a finished run over again (resume): this process owns it now, its error and end are cleared. */
  reopen(runId: string, owner: RunOwner): Promise<void>
  /** Renews the run's lease. */
  heartbeat(runId: string): Promise<void>
  setModelVersion(runId: string, modelVersionId: string): Promise<void>
  /** Records that a remote orchestrator took the run (its owner is then the remote side). */
  setRemote(runId: string, remote: RemoteRun): Promise<void>
  /** Active runs that remote orchestrators carry (for `runs sync`). */
  activeRemote(): Promise<RunRecord[]>
  /** Deletes a run, its step runs and its links to model versions; artifact versions stay (see prune). */
  delete(runId: string): Promise<void>
  /**
   * Creates or updates a step run (keyed by run and invocation id) in one statement; returns its id. A new
   * row takes `update.id` (else a fresh one), `status` (else `initializing`) and `step` (else the name);
   * an existing row changes only the fields given.
   */
  upsertStepRun(runId: string, name: string, update: StepRunUpdate & { id?: string }): Promise<string>
  /** A run's step runs, by start time and name. */
  stepRuns(runId: string): Promise<StepRunRecord[]>
  stepRun(runId: string, name: string): Promise<StepRunRecord | undefined>
  stepRunById(id: string): Promise<StepRunRecord | undefined>
  /**
   * The newest completed step run with this cache key whose outputs still exist: an indexed query.
   * A cached step run points at the run that really produced the outputs.
   */
  findCacheHit(cacheKey: string): Promise<CacheHit | undefined>
  /**
   * Completed executions of a step definition with this code fingerprint, newest first: what a remote
   * run's driver may reuse once it knows the inputs' digests (an indexed query).
   */
  cacheCandidates(
    step: string,
    codeFingerprint: string,
    limit: number,
  ): Promise<Array<{ stepRunId: string; cacheKey: string; cacheParts: Record<string, unknown> | null }>>
  /** The previous step run of the same pipeline step (for explain-cache). */
  previousStepRun(stepRun: StepRunRecord): Promise<StepRunRecord | undefined>
  linkArtifact(
    stepRunId: string,
    direction: 'input' | 'output',
    name: string,
    artifactVersionId: string,
  ): Promise<void>
  /** Name → artifact version id of a step run's inputs or outputs. */
  stepArtifacts(stepRunId: string, direction: 'input' | 'output'): Promise<Record<string, string>>
  /** Attaches metadata to an entity; `eventId` makes re-ingesting a journal harmless. */
  addMetadata(
    entityType: MetadataEntityType,
    entityId: string,
    values: Record<string, unknown>,
    eventId?: string,
  ): Promise<void>
  /** The latest value of each metadata key of an entity. */
  metadata(entityType: MetadataEntityType, entityId: string): Promise<Record<string, unknown>>
}
