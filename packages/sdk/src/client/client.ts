import { userInfo } from 'node:os'
import type { ArtifactKind, JsonObject, PipelineSnapshot, ScheduleInfo } from '@strata/core'
import type { ArtifactStoreHost } from '@strata/core/base'
import { StrataError } from '@strata/core/base'
import type {
  ArtifactSummary,
  ArtifactVersionRecord,
  ListRunsOptions,
  ModelArtifactLink,
  ModelFields,
  ModelRecord,
  ModelRunLink,
  ModelStage,
  ModelSummary,
  ModelVersionRecord,
  Page,
  PipelineSummary,
  RunRecord,
  ScheduleRecord,
  StageEvent,
  StepRunRecord,
  StoreRepositories,
} from '@strata/store'
import { parseSort } from '@strata/store'
import type { Materializer } from '../materializers/materializer.js'
import type { ResumeOptions } from '../run/resume-run.js'
import type { OpenRunEnvironmentOptions, RunEnvironment } from '../run/run-environment.js'
import { ownerState, reconcileAbandonedRuns } from '../run/run-owner.js'
import type { PipelineRun } from '../run/run-pipeline.js'
import type { SyncRemoteOptions } from '../run/sync-remote.js'
import { openWorkspace, type StrataWorkspace } from '../stacks/stack-state.js'
import type { ArtifactVersionInfo } from '../step/artifact-io.js'
import type { ArtifactDataReport, PruneResult } from './artifact-maintenance.js'
import type { CacheExplanation } from './explain-cache.js'

// Only what reading the store needs is imported here: `strata pipeline list`, `runs list`, `artifact list`
// and `model list` open a Client, and their start-up budget (2× a bare `node -e 0`) has no room for zod,
// the materializers or the stack machinery. Operations that need those import them when they run.
const openRunEnvironment: typeof import('../run/run-environment.js').openRunEnvironment = async (options) =>
  (await import('../run/run-environment.js')).openRunEnvironment(options)

export interface RunDetails extends RunRecord {
  snapshot: PipelineSnapshot
  steps: Array<
    StepRunRecord & {
      inputs: Record<string, string>
      outputs: Record<string, string>
      metadata: Record<string, unknown>
    }
  >
  /** Steps of the snapshot that never got a step run. */
  notStarted: string[]
}

export type { PipelineSummary, PruneResult }

export interface ListPipelinesOptions {
  /** Only pipelines whose name contains this (case-insensitive). */
  name?: string
  /** `name` (default), `runs`, `last_run` or `created`; `-FIELD` or `desc:FIELD` for descending. */
  sort?: string
  /** @default 1 */
  page?: number
  /** @default 20 */
  size?: number
}

const PIPELINE_SORT = {
  name: (a, b) => a.name.localeCompare(b.name),
  runs: (a, b) => a.runs - b.runs,
  last_run: (a, b) => (a.lastRunAt ?? '').localeCompare(b.lastRunAt ?? ''),
  created: (a, b) => a.createdAt.localeCompare(b.createdAt),
} satisfies Record<string, (a: PipelineSummary, b: PipelineSummary) => number>
const PIPELINE_SORT_FIELDS = Object.keys(PIPELINE_SORT) as Array<keyof typeof PIPELINE_SORT>

export interface ModelVersionDetails extends ModelVersionRecord {
  artifacts: ModelArtifactLink[]
  runs: ModelRunLink[]
  metadata: Record<string, unknown>
}

/** Who changes a stage: the OS user (recorded with every stage event). */
function actorName(): string {
  try {
    return userInfo().username
  } catch {
    return process.env.USER ?? 'unknown'
  }
}

/**
 * The SDK's view of the store: runs, artifacts and models, with the same operations the CLI offers.
 * `await Client.open()` opens the user's store; the active stack (its artifact store, for loading and saving
 * artifacts) is built only when an operation needs it, so reading runs never depends on the stack.
 * Every operation is asynchronous.
 */
export class Client {
  /** The store's repositories. */
  readonly repositories: StoreRepositories
  readonly #workspace: StrataWorkspace | undefined
  readonly #options: OpenRunEnvironmentOptions
  readonly #openEnvironment: () => Promise<RunEnvironment>
  #environment: Promise<RunEnvironment> | undefined
  readonly #ownsEnvironment: boolean
  /** The artifact store read-only operations use (see {@link Client.#storeForReading}). */
  #readingStore: Promise<{ store: ArtifactStoreHost; owned: boolean }> | undefined

  /** Wraps an environment the caller owns (and closes). */
  constructor(environment: RunEnvironment)
  constructor(
    environment: RunEnvironment | { workspace: StrataWorkspace; options: OpenRunEnvironmentOptions },
  ) {
    if ('repositories' in environment) {
      this.repositories = environment.repositories
      this.#environment = Promise.resolve(environment)
      this.#openEnvironment = () => Promise.resolve(environment)
      this.#workspace = undefined
      this.#options = {}
      this.#ownsEnvironment = false
    } else {
      const { workspace, options } = environment
      this.repositories = workspace.store
      this.#workspace = workspace
      this.#options = options
      this.#openEnvironment = () => openRunEnvironment({ ...options, workspace })
      this.#ownsEnvironment = true
    }
  }

  /** Opens the user's store (`STRATA_CONFIG_DIR`, …) and the project around `projectRoot` (default: the current directory). */
  static async open(options: OpenRunEnvironmentOptions = {}): Promise<Client> {
    const workspace = openWorkspace({
      ...(options.configDir ? { configDir: options.configDir } : {}),
      ...(options.projectRoot ? { cwd: options.projectRoot } : {}),
    })
    return new (
      Client as unknown as new (source: {
        workspace: StrataWorkspace
        options: OpenRunEnvironmentOptions
      }) => Client
    )({
      workspace,
      options,
    })
  }

  /** The active stack, built on first use. */
  environment(): Promise<RunEnvironment> {
    this.#environment ??= this.#openEnvironment()
    return this.#environment
  }

  /**
   * The artifact store that reading logs and checking artifact data use: the stack's, once built; before
   * that, one built alone from its flavor's zod-free `createModule` (see openArtifactStoreForReading), so
   * `strata pipeline runs logs` loads neither zod nor the rest of the stack; without one, the stack, built.
   */
  #storeForReading(): Promise<ArtifactStoreHost> {
    this.#readingStore ??= (async () => {
      const workspace = this.#workspace
      if (this.#environment === undefined && workspace !== undefined) {
        const { openArtifactStoreForReading } = await import('./artifact-store-for-reading.js')
        const store = await openArtifactStoreForReading(workspace, {
          ...(this.#options.stack ? { stackName: this.#options.stack } : {}),
          ...(this.#options.logger ? { logger: this.#options.logger } : {}),
        })
        if (store) return { store, owned: true }
      }
      return { store: (await this.environment()).artifactStore, owned: false }
    })()
    return this.#readingStore.then(({ store }) => store)
  }

  get #runs() {
    return this.repositories.runs
  }

  get #artifacts() {
    return this.repositories.artifacts
  }

  /**
   * Pipelines that have run, with their run counts: filtered by a name fragment, sorted, one page.
   * @throws StrataError `INVALID_SORT` naming the sortable fields
   */
  async listPipelines(options: ListPipelinesOptions = {}): Promise<Page<PipelineSummary>> {
    const { field, descending } = parseSort(options.sort ?? 'name', PIPELINE_SORT_FIELDS, 'pipelines')
    const compare = PIPELINE_SORT[field]
    const fragment = options.name?.toLowerCase()
    // Few rows (one per pipeline name): filtered and sorted here, not in SQL.
    const rows = (await this.#runs.listPipelines())
      .filter((row) => fragment === undefined || row.name.toLowerCase().includes(fragment))
      .sort((a, b) => compare(a, b) * (descending ? -1 : 1) || a.name.localeCompare(b.name))
    const page = Math.max(1, options.page ?? 1)
    const size = Math.max(1, options.size ?? 20)
    return { items: rows.slice((page - 1) * size, page * size), total: rows.length, page, size }
  }

  /** Runs, newest first. Runs whose owner is provably gone are marked failed first. */
  async listRuns(options: ListRunsOptions = {}): Promise<Page<RunRecord>> {
    await reconcileAbandonedRuns(this)
    return this.#runs.list(options)
  }

  /**
   * A run with its steps, their artifacts and metadata.
   * @throws StrataError `RUN_NOT_FOUND`
   */
  async getRun(reference: string): Promise<RunDetails> {
    await reconcileAbandonedRuns(this)
    const run = await this.#runs.require(reference)
    const snapshot = await this.#runs.snapshot<PipelineSnapshot>(run.id)
    const rows = new Map((await this.#runs.stepRuns(run.id)).map((step) => [step.name, step]))
    const steps: RunDetails['steps'] = []
    const notStarted: string[] = []
    for (const step of snapshot.steps) {
      const row = rows.get(step.id)
      if (!row) {
        notStarted.push(step.id)
        continue
      }
      steps.push({
        ...row,
        inputs: await this.#runs.stepArtifacts(row.id, 'input'),
        outputs: await this.#runs.stepArtifacts(row.id, 'output'),
        metadata: await this.#runs.metadata('step_run', row.id),
      })
    }
    return { ...run, snapshot, steps, notStarted }
  }

  /** The log of one step, or of every step (each headed by its name). */
  async runLogs(reference: string, step?: string): Promise<string> {
    const run = await this.getRun(reference)
    const steps = step ? run.steps.filter((candidate) => candidate.name === step) : run.steps
    if (step && steps.length === 0) {
      throw new StrataError(
        'STEP_RUN_NOT_FOUND',
        `run ${run.name} has no step '${step}' that started — its steps are: ${run.steps.map((s) => s.name).join(', ')}`,
      )
    }
    const parts: string[] = []
    for (const candidate of steps) {
      const text = candidate.logKey
        ? await (await this.#storeForReading()).readText(candidate.logKey).catch(() => '')
        : ''
      parts.push(step ? text : `── ${candidate.name} (${candidate.status}) ──\n${text || '(no output)\n'}`)
    }
    return parts.join('')
  }

  /**
   * Deletes a run and its step runs (artifact versions stay until pruned). An active run (running here, or
   * carried by a remote orchestrator) is refused: with `force` it is stopped first (`stopRun`) and deleted
   * once it ended — a local one is waited for (bounded; an owner that does not stop in time is killed).
   * @throws StrataError `RUN_ACTIVE` or `RUN_LINKED_TO_MODEL` unless `force`; `RUN_STILL_RUNNING`
   */
  async deleteRun(reference: string, options: { force?: boolean } = {}): Promise<RunRecord> {
    const { activeRunError, isActive, settleActiveRun } = await import('./active-run.js')
    const run = await settleActiveRun(this, reference, options.force === true)
    const linked = await this.#models.runLinks(run.id)
    if ((linked || run.modelVersionId) && !options.force) {
      throw new StrataError(
        'RUN_LINKED_TO_MODEL',
        `run ${run.name} is linked to a model version — deleting it loses that history; pass --force to delete it anyway`,
      )
    }
    // Checked again in the deleting transaction: a resume may have started the run since.
    await this.repositories.transaction(async (tx) => {
      const current = await tx.runs.require(run.id)
      if (isActive(current)) throw activeRunError(current)
      await tx.runs.delete(run.id)
    })
    return run
  }

  async explainCache(reference: string, step: string): Promise<CacheExplanation> {
    const { explainCache } = await import('./explain-cache.js')
    return explainCache(this.repositories, reference, step)
  }

  async resumeRun(reference: string, options: ResumeOptions = {}): Promise<PipelineRun> {
    const { resumeRun } = await import('../run/resume-run.js')
    return resumeRun(await this.environment(), reference, options)
  }

  /**
   * Brings a run up to date from what its steps recorded in the artifact store (their journals), and
   * settles it once it ended. A run a remote orchestrator carries is followed on its own stack, whichever
   * stack is active; with `follow`, until it ends.
   * @returns the number of events read
   */
  async syncRun(reference: string, options: SyncRemoteOptions = {}): Promise<number> {
    const run = await this.#runs.require(reference)
    const { syncRun } = await import('../run/sync-run.js')
    return this.#onStack(run.stackName, (environment) => syncRun(environment, run.id, options))
  }

  /**
   * Brings every run a remote orchestrator carries up to date: records the runs that schedules started
   * since the last look, then syncs each active remote run (on its own stack).
   * @returns the runs it recorded and the ones it synced
   */
  async syncRuns(options: SyncRemoteOptions = {}): Promise<{ discovered: string[]; synced: string[] }> {
    const [{ syncRun }, { discoverScheduledRuns }] = await Promise.all([
      import('../run/sync-run.js'),
      import('../run/sync-schedules.js'),
    ])
    const discovered: string[] = []
    for (const schedule of await this.repositories.schedules.list()) {
      discovered.push(
        ...(await this.#onStack(schedule.stackName, (environment) =>
          discoverScheduledRuns(environment, schedule),
        )),
      )
    }
    // What killed runs left on this machine (step folders); a stack that cannot open has none to reclaim.
    await this.environment()
      .then((environment) => environment.orchestrator.reclaim?.())
      .catch(() => [])
    const synced: string[] = []
    for (const run of await this.#runs.activeRemote()) {
      await this.#onStack(run.stackName, (environment) => syncRun(environment, run.id, options))
      synced.push(run.name)
    }
    return { discovered, synced }
  }

  /** The schedules this store knows, each with whether its orchestrator still has it. */
  async listSchedules(): Promise<Array<ScheduleRecord & { active: boolean | undefined }>> {
    const result: Array<ScheduleRecord & { active: boolean | undefined }> = []
    const byStack = new Map<string, ScheduleInfo[] | undefined>()
    for (const schedule of await this.repositories.schedules.list()) {
      if (!byStack.has(schedule.stackName)) {
        byStack.set(
          schedule.stackName,
          await this.#onStack(schedule.stackName, async (environment) =>
            environment.orchestrator.schedules?.list(),
          ).catch(() => undefined),
        )
      }
      const kept = byStack.get(schedule.stackName)
      const match = kept?.find((info) => JSON.stringify(info.handle) === JSON.stringify(schedule.handle))
      result.push({
        ...schedule,
        active: kept === undefined ? undefined : match?.active === true,
      })
    }
    return result
  }

  /**
   * Deletes a schedule: its orchestrator's object first (a Kubernetes CronJob, with the Secret and runtime it
   * owns), then the record. Runs it started stay.
   * @throws StrataError `SCHEDULE_NOT_FOUND`
   */
  async deleteSchedule(reference: string): Promise<ScheduleRecord> {
    const schedule = await this.repositories.schedules.require(reference)
    await this.#onStack(schedule.stackName, async (environment) => {
      await environment.orchestrator.schedules?.delete(schedule.handle as JsonObject)
    })
    await this.repositories.schedules.delete(schedule.id)
    return schedule
  }

  /**
   * Stops an active run. One a remote orchestrator carries is asked to stop: gracefully (it starts no new
   * step; running ones finish) or, with `force`, at once (running steps are killed and the run is marked
   * stopped). A local run's owning process gets SIGTERM (SIGKILL with `force`), which the CLI answers by
   * stopping the run as Ctrl-C does.
   * @throws StrataError `RUN_NOT_ACTIVE`, or `RUN_OWNER_ELSEWHERE` for a local run owned by another host
   */
  async stopRun(reference: string, options: { force?: boolean } = {}): Promise<RunRecord> {
    await reconcileAbandonedRuns(this)
    const run = await this.#runs.require(reference)
    if (run.status !== 'running' && run.status !== 'initializing') {
      throw new StrataError(
        'RUN_NOT_ACTIVE',
        `run ${run.name} is ${run.status}, not running — nothing to stop`,
      )
    }
    const force = options.force === true
    if (run.remote) {
      const remote = run.remote
      await this.#onStack(run.stackName, async (environment) => {
        if (!environment.orchestrator.stop) {
          throw new StrataError(
            'STOP_UNSUPPORTED',
            `orchestrator '${remote.orchestrator}' of stack '${run.stackName}' cannot stop runs — stop it with the orchestrator's own tools`,
          )
        }
        await environment.orchestrator.stop(remote.handle as JsonObject, { force })
      })
      if (force)
        await this.#runs.setStatus(run.id, 'stopped', { ended: true, error: 'stopped by the user (forced)' })
      return run
    }
    if (ownerState(run.owner) !== 'alive') {
      throw new StrataError(
        'RUN_OWNER_ELSEWHERE',
        `run ${run.name} runs in process ${run.owner.pid} on ${run.owner.host}, which this machine cannot signal — stop it there (Ctrl-C)`,
      )
    }
    process.kill(run.owner.pid, force ? 'SIGKILL' : 'SIGTERM')
    return run
  }

  /** Runs `fn` with the environment of `stackName`: the active stack's (kept), else one built for the call. */
  async #onStack<T>(stackName: string, fn: (environment: RunEnvironment) => Promise<T>): Promise<T> {
    const active = await this.environment()
    if (active.stackName === stackName) return fn(active)
    const other = await openRunEnvironment({
      ...this.#options,
      workspace: active.workspace,
      stack: stackName,
    })
    try {
      return await fn(other)
    } finally {
      await other.close()
    }
  }

  listArtifacts(
    options: { name?: string; page?: number; size?: number } = {},
  ): Promise<Page<ArtifactSummary>> {
    return this.#artifacts.list(options)
  }

  artifactVersions(
    name: string,
    options: { page?: number; size?: number } = {},
  ): Promise<Page<ArtifactVersionRecord>> {
    return this.#artifacts.versions(name, options)
  }

  /** @throws StrataError `ARTIFACT_VERSION_NOT_FOUND` */
  getArtifactVersion(name: string, version?: number): Promise<ArtifactVersionRecord> {
    return this.#artifacts.version(name, version)
  }

  async #storeFor(version: ArtifactVersionInfo) {
    const store = (await this.environment()).artifactStore
    if (version.artifactStoreUri !== store.uri) {
      throw new StrataError(
        'ARTIFACT_IN_OTHER_STORE',
        `artifact ${version.name} lives in artifact store ${version.artifactStoreUri}, but the active stack's store is ${store.uri} — activate the stack that holds it`,
      )
    }
    return store
  }

  /** Loads an artifact version's value (the newest version when `version` is omitted). */
  async loadArtifact<T = unknown>(
    name: string,
    options: { version?: number; materializers?: Materializer[] } = {},
  ): Promise<T> {
    const version = await this.#artifacts.version(name, options.version)
    const [{ materializerById }, { loadArtifact }] = await Promise.all([
      import('../materializers/select-materializer.js'),
      import('../step/artifact-io.js'),
    ])
    const materializer = materializerById(
      version.materializer,
      options.materializers ?? [],
      `artifact ${name} v${version.version}`,
    )
    return (await loadArtifact(await this.#storeFor(version), version, materializer)) as T
  }

  /** Saves a value as a new version of an artifact, outside any pipeline. */
  async saveArtifact(
    name: string,
    value: unknown,
    options: { kind?: ArtifactKind; materializer?: string; materializers?: Materializer[] } = {},
  ): Promise<ArtifactVersionRecord> {
    const [{ selectMaterializer }, { saveArtifact }] = await Promise.all([
      import('../materializers/select-materializer.js'),
      import('../step/artifact-io.js'),
    ])
    const materializer = selectMaterializer(value, {
      explicit: options.materializer,
      custom: options.materializers ?? [],
      where: `artifact '${name}'`,
    })
    const saved = await saveArtifact((await this.environment()).artifactStore, value, materializer, {
      name,
      kind: options.kind ?? 'data',
    })
    return this.#artifacts.createVersion({ ...saved, saveType: 'manual' })
  }

  /**
   * Registers data already in the artifact store (a prefix of files) as a new artifact version, without
   * copying it. It loads as an `ArtifactDirectory`.
   * @throws StrataError `ARTIFACT_NOT_FOUND` when nothing is stored under the prefix
   */
  async registerArtifact(
    name: string,
    prefix: string,
    options: { kind?: ArtifactKind } = {},
  ): Promise<ArtifactVersionRecord> {
    const store = (await this.environment()).artifactStore
    const [{ createHash, randomUUID }, { versionDigest }] = await Promise.all([
      import('node:crypto'),
      import('../step/artifact-integrity.js'),
    ])
    const normalized = prefix.endsWith('/') ? prefix : `${prefix}/`
    const files: Array<[string, string, number]> = []
    for await (const entry of store.listAll(normalized)) {
      const hash = createHash('sha256')
      for await (const chunk of await store.read(entry.key)) hash.update(chunk)
      files.push([entry.key.slice(normalized.length), hash.digest('hex'), entry.size])
    }
    if (files.length === 0) {
      throw new StrataError(
        'ARTIFACT_NOT_FOUND',
        `nothing is stored under '${normalized}' in ${store.uri} — register a prefix that holds files`,
      )
    }
    return this.#artifacts.createVersion({
      id: randomUUID(),
      name,
      kind: options.kind ?? 'data',
      artifactStoreUri: store.uri,
      prefix: normalized,
      materializer: 'strata.registered',
      materializerVersion: 1,
      dataType: 'directory',
      digest: versionDigest(files.map(([file, fileDigest]) => [file, fileDigest] as const)),
      size: files.reduce((total, [, , size]) => total + size, 0),
      saveType: 'preexisting',
    })
  }

  /**
   * Finds (and unless `dryRun`, deletes) unreferenced step outputs, orphaned prefixes and temporary files
   * that killed writes left in the active artifact store. Orphans younger than 10 minutes, or any while a
   * run is active, are kept: they may be writes in progress; so is a temporary file whose writer is alive.
   */
  async pruneArtifacts(options: { dryRun?: boolean } = {}): Promise<PruneResult> {
    const { pruneArtifacts } = await import('./artifact-maintenance.js')
    return pruneArtifacts(this.repositories, (await this.environment()).artifactStore, options)
  }

  /**
   * Whether a version's data is still in the active stack's artifact store: its files listed with their
   * recorded size (no byte read), or with `verify` every byte read and checked against the version's digest.
   * Never throws for data that is gone or damaged: the report says so.
   */
  async artifactData(
    version: ArtifactVersionRecord,
    options: { verify?: boolean } = {},
  ): Promise<ArtifactDataReport> {
    const [{ artifactData }, store] = await Promise.all([
      import('./artifact-maintenance.js'),
      this.#storeForReading(),
    ])
    return artifactData(store, version, options)
  }

  get #models() {
    return this.repositories.models
  }

  /** @throws StrataError `MODEL_EXISTS` */
  registerModel(name: string, fields: ModelFields = {}): Promise<ModelRecord> {
    return this.#models.register(name, fields)
  }

  listModels(options: { page?: number; size?: number } = {}): Promise<Page<ModelSummary>> {
    return this.#models.list(options)
  }

  /** @throws StrataError `MODEL_NOT_FOUND` */
  async getModel(
    name: string,
  ): Promise<ModelRecord & { versions: ModelVersionRecord[]; stageEvents: StageEvent[] }> {
    const model = await this.#models.require(name)
    return {
      ...model,
      versions: (await this.#models.versions(name, { size: 1000 })).items,
      stageEvents: await this.#models.stageEvents(name),
    }
  }

  updateModel(name: string, fields: ModelFields & { name?: string }): Promise<ModelRecord> {
    return this.#models.update(name, fields)
  }

  deleteModel(name: string): Promise<ModelRecord> {
    return this.#models.delete(name)
  }

  listModelVersions(
    name: string,
    options: { page?: number; size?: number; stage?: ModelStage } = {},
  ): Promise<Page<ModelVersionRecord>> {
    return this.#models.versions(name, options)
  }

  /**
   * A model version (by number, name, stage or `latest`) with its linked artifacts, runs and metadata.
   * @throws StrataError `MODEL_STAGE_EMPTY` or `MODEL_VERSION_NOT_FOUND`, naming the model
   */
  async getModelVersion(name: string, reference: string | number): Promise<ModelVersionDetails> {
    const version = await this.#models.version(name, reference)
    return {
      ...version,
      artifacts: await this.#models.artifacts(version.id),
      runs: await this.#models.runs(version.id),
      metadata: await this.#runs.metadata('model_version', version.id),
    }
  }

  /**
   * Moves a version to `staging`, `production` or `archived` (or out of any stage with `null`).
   * @throws StrataError `MODEL_STAGE_OCCUPIED` unless `force`, which archives the previous holder
   */
  setModelStage(
    name: string,
    reference: string | number,
    stage: ModelStage | null,
    options: { force?: boolean } = {},
  ): Promise<ModelVersionRecord> {
    return this.#models.setStage(name, reference, stage, {
      force: options.force ?? false,
      actor: actorName(),
    })
  }

  updateModelVersion(
    name: string,
    reference: string | number,
    fields: { name?: string | null; description?: string | null; tags?: string[] },
  ): Promise<ModelVersionRecord> {
    return this.#models.updateVersion(name, reference, fields)
  }

  deleteModelVersion(name: string, reference: string | number): Promise<ModelVersionRecord> {
    return this.#models.deleteVersion(name, reference)
  }

  /** Loads an artifact linked to a model version, by its artifact name. */
  async loadModelArtifact<T = unknown>(
    name: string,
    reference: string | number,
    artifactName: string,
    options: { materializers?: Materializer[] } = {},
  ): Promise<T> {
    const version = await this.#models.version(name, reference)
    const link = (await this.#models.artifacts(version.id)).find(
      (candidate) => candidate.name === artifactName,
    )
    if (!link) {
      throw new StrataError(
        'MODEL_ARTIFACT_NOT_FOUND',
        `version ${version.number} of model '${name}' has no artifact '${artifactName}' — see 'strata model version artifacts ${name} ${version.number}'`,
      )
    }
    const artifact = await this.#artifacts.requireVersionById(link.artifactVersionId)
    const [{ materializerById }, { loadArtifact }] = await Promise.all([
      import('../materializers/select-materializer.js'),
      import('../step/artifact-io.js'),
    ])
    const materializer = materializerById(
      artifact.materializer,
      options.materializers ?? [],
      `artifact ${artifact.name}`,
    )
    return (await loadArtifact(await this.#storeFor(artifact), artifact, materializer)) as T
  }

  async close(): Promise<void> {
    if (!this.#ownsEnvironment) return
    const reading = await this.#readingStore?.catch(() => undefined)
    if (reading?.owned) await reading.store.close()
    if (this.#environment) await (await this.#environment.catch(() => undefined))?.close()
    await this.#workspace?.close()
  }
}
