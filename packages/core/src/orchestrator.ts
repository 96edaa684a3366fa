import type { JsonObject } from './json-value.js'
import type { Logger } from './logger.js'
import type { PipelineSnapshot } from './snapshot.js'

export type StepFinalStatus = 'completed' | 'cached' | 'failed' | 'stopped'

export interface StepOutcome {
  status: StepFinalStatus
  /** The error message for `failed` (secrets already masked). */
  error?: string
}

/** How a step run as a separate process is started (`strata step run --run <uri> --step <id>`). */
export interface StepCommand {
  /** The executable: `process.execPath` locally, `node` in a container image. */
  command: string
  args: string[]
  /** Variables the step process needs (artifact store access, run URI); may carry resolved secrets. */
  env: Record<string, string>
}

export interface ProcessExit {
  exitCode: number | null
  signal: string | null
  /** The end of the process's output, quoted when it died without recording an outcome. */
  output?: string
  /**
   * The orchestrator stopped the process because the run asked it to (its signal or the step's aborted:
   * a stop by the user, or `fail_fast`). Without it, a process that ended on a signal died of something the
   * run did not send (the OOM killer's SIGKILL, a SIGSEGV, a SIGTERM from elsewhere): the attempt failed,
   * and the step's retry policy decides what follows.
   * @default false
   */
  stopped?: boolean
}

/** What the runtime hands an orchestrator for one run. */
export interface OrchestratorRunContext {
  readonly logger: Logger
  /** Aborted when the user stops the run (SIGINT); stop starting steps and stop running ones. */
  readonly signal: AbortSignal
  /** Steps the client already resolved from the cache: never execute them. */
  readonly cached: ReadonlySet<string>
  /** Runs one step in this process through the shared step runner (retries included). */
  runStep(stepId: string, signal: AbortSignal): Promise<StepOutcome>
  /**
   * Before starting a step in another process: resolves it from the cache (returning its outcome), or
   * stages what the step process needs in the artifact store (returning `undefined`).
   */
  prepareStep(stepId: string): Promise<StepOutcome | undefined>
  /**
   * The command that runs one step in a fresh process, for process-isolated and remote orchestrators. The
   * process makes one attempt (the next one, by what the step's journal holds); `collectStep` says whether
   * another process must make the one after.
   */
  stepCommand(stepId: string): StepCommand
  /**
   * What a step process writes, as it arrives (its stdout and stderr, decoded): the runtime shows it with
   * the run's output, masks the run's secrets in it, and keeps in the step's log what the step's own log
   * lacks (what was written around the step runner: a crash, a native library).
   */
  stepOutput(stepId: string, stream: 'stdout' | 'stderr', text: string): void
  /**
   * Called after a step process exits: ingests what it recorded and returns its outcome — or `retrying`
   * when that attempt failed (or the process died of a signal the run did not send) and the step's retry
   * policy allows another: then start `stepCommand(stepId)` again (the new process waits out the retry
   * delay itself).
   */
  collectStep(
    stepId: string,
    exit: ProcessExit,
  ): Promise<StepOutcome | { status: 'retrying'; attempt: number; error: string }>
  /** For orchestrators that run the pipeline away from this machine (the flavor is `isRemote`). */
  readonly remote?: RemoteRunContext
  /**
   * Where a remote run reports back: the handle the runtime stores with the run for `runs stop` and
   * `runs sync`. Call it once the run is submitted.
   */
  submitted?(handle: RemoteRunHandle): Promise<void>
}

export type StepRunState = StepFinalStatus | 'skipped' | 'not_started'

/** How a remote orchestrator finds a run it submitted again (`runs stop`, `runs sync`): JSON, stored with the run. */
export type RemoteRunHandle = JsonObject

export interface OrchestratorRunResult {
  /** Every step of the snapshot: its final status, `skipped` (an upstream failed) or `not_started`. */
  steps: Record<string, StepRunState>
  /**
   * Set by a remote orchestrator when the run goes on without this process (not synchronous, or the user
   * detached): the run stays active, owned by the remote side; `steps` holds what is known so far.
   */
  detached?: { message: string }
  /** Why the run failed outside its steps (a remote driver that could not create a step's pod). */
  error?: string
  /** The run was stopped on request (`strata pipeline runs stop`): steps not started are not failures. */
  stopped?: boolean
}

/** What a run in a remote environment looks like from outside (`runs sync`, `runs stop`). */
export type RemoteRunState =
  | { state: 'running' }
  /** The remote side recorded the run's end (see {@link OrchestratorDriveContext.finish}). */
  | { state: 'ended' }
  /** The remote side is gone without recording an end (deleted, crashed): the run failed. */
  | { state: 'lost'; reason: string }

/** A pipeline run on a schedule, as the orchestrator keeps it. */
export interface ScheduleInfo {
  /** The orchestrator's own id of the schedule (a CronJob's name, a recurring run's id). */
  id: string
  name: string
  pipelineName: string
  cron: string
  timeZone?: string
  /** Whether the orchestrator still has it (a schedule deleted outside Strata is `false`). */
  active: boolean
  createdAt?: string
  lastRunAt?: string
  handle: RemoteRunHandle
}

/** What the runtime hands a remote orchestrator that creates a schedule. */
export interface ScheduleContext {
  readonly logger: Logger
  /** The schedule's id in Strata; the orchestrator names its objects after it. */
  readonly scheduleId: string
  readonly name: string
  readonly cron: string
  readonly timeZone?: string
  /** Stages the schedule's template (snapshot, code bundle) and returns what its runs need. */
  stage(): Promise<RemoteRunStaging>
}

/** What the runtime hands a remote orchestrator that exports a pipeline for hand submission. */
export interface ExportContext {
  readonly logger: Logger
  /** The export's id in Strata (its runs start from a template, as a schedule's do). */
  readonly scheduleId: string
  readonly name: string
  /** The format asked for, e.g. `kfp`. */
  readonly format: string
  /** Stages the template (snapshot, code bundle) and returns what its runs need. */
  stage(): Promise<RemoteRunStaging>
}

/** Everything a remote environment needs to run a pipeline: staged in the artifact store, or handed over. */
export interface RemoteRunStaging {
  /** The run (or schedule) in the artifact store, as `strata-runtime` takes it (`--run URI`). */
  runUri: string
  /**
   * Variables every process of the run needs: component configs with their secrets resolved and the run's
   * secret values. Hand them over as a secret (a Kubernetes Secret), never in a spec or log.
   */
  env: Record<string, string>
  /**
   * The Strata runtime (step runner, the stack's flavors, this orchestrator), built from the installed
   * packages and packed for a volume that a stock Node.js image runs with `node <dir>/bootstrap.mjs ARGS`.
   */
  runtime(): Promise<RuntimePackage>
  /** Runtime arguments that run one step (`step run --run URI --step ID`). */
  stepArgs(stepId: string): string[]
  /** Runtime arguments that drive the run with {@link OrchestratorV1.drive} (`orchestrate --run URI`). */
  driverArgs(): string[]
}

/**
 * The Strata runtime packed for a pod: write `bootstrap` as `bootstrap.mjs` and chunk `i` as
 * `runtime.mjs.gz.<i, three digits>` anywhere under the same folder (one volume, or one per chunk: each
 * chunk fits a Kubernetes ConfigMap); `node <folder>/bootstrap.mjs ARGS` then runs it.
 */
export interface RuntimePackage {
  /** sha256 of the runtime, which the bootstrap checks. */
  digest: string
  bootstrap: string
  chunks: Uint8Array[]
}

/** What a remote orchestrator gets on the client besides the shared members. */
export interface RemoteRunContext {
  /** Stages the run for the remote side (idempotent). */
  stage(): Promise<RemoteRunStaging>
  /**
   * Reads what the run's steps recorded since the last call (their journals), records it in the store and
   * reports it like any run's progress; resolves with each step's state so far.
   */
  sync(): Promise<Record<string, StepRunState | 'pending' | 'running'>>
  /** The run's end as the remote driver recorded it, once it has. */
  result(): Promise<OrchestratorRunResult | undefined>
}

/**
 * What the runtime hands {@link OrchestratorV1.drive} inside the remote environment (an orchestrator
 * pod): the artifact store is reachable, the metadata store is not.
 */
export interface OrchestratorDriveContext {
  readonly logger: Logger
  /** Aborted when the driver must stop at once (its process is being terminated). */
  readonly signal: AbortSignal
  /** Steps the client resolved from the cache before submitting: never run them. */
  readonly cached: ReadonlySet<string>
  /** Runtime arguments that run one step in a fresh process or pod. */
  stepArgs(stepId: string): string[]
  /**
   * Before starting a step: stages its inputs from its upstream steps' records and resolves it from the
   * run's cache index; returns its outcome when it is cached, else `undefined` (start it).
   */
  prepareStep(stepId: string): Promise<StepOutcome | undefined>
  /** What a step recorded as its outcome, or `undefined` when it recorded none (its process died). */
  stepOutcome(stepId: string): Promise<StepOutcome | undefined>
  /** Records a failure that a step could not record itself (its pod never started). */
  failStep(stepId: string, outcome: StepOutcome): Promise<void>
  /** The outcome of an earlier driver of this run (a restarted orchestrator pod resumes from it). */
  earlierOutcomes(): Promise<Record<string, StepOutcome>>
  /**
   * Records how the run is found again (`runs stop`, `runs sync`): needed for runs a schedule started,
   * which no client saw being submitted.
   */
  recordHandle(handle: RemoteRunHandle): Promise<void>
  /** Records the run's end where the client and `runs sync` find it. */
  finish(result: OrchestratorRunResult): Promise<void>
}

/** Version 1 of the orchestrator contract. Only `run` is required; the rest are capabilities. */
export interface OrchestratorV1 {
  readonly apiVersion: 1
  /**
   * Runs the snapshot's steps in dependency order and resolves once none is running — or, for a remote
   * orchestrator, once the run is submitted and followed as far as it is followed (`detached`).
   */
  run(snapshot: PipelineSnapshot, context: OrchestratorRunContext): Promise<OrchestratorRunResult>
  /** Runs inside the remote environment (`strata-runtime orchestrate`): drives the run's steps there. */
  drive?(snapshot: PipelineSnapshot, context: OrchestratorDriveContext): Promise<void>
  /** Where a detached run stands. */
  status?(handle: RemoteRunHandle): Promise<RemoteRunState>
  /** Stops a detached run: gracefully (start nothing new) or at once (`force`). */
  stop?(handle: RemoteRunHandle, options: { force: boolean }): Promise<void>
  /**
   * Writes the pipeline in the orchestrator's own format for users who submit it by hand (a KFP pipeline
   * YAML); its runs start from a staged template, as a schedule's do, and `schedules.delete(handle)` removes
   * what the export created.
   */
  export?(
    snapshot: PipelineSnapshot,
    context: ExportContext,
  ): Promise<{ content: string; handle: RemoteRunHandle }>
  /** Runs a pipeline on a cron schedule. */
  schedules?: {
    create(snapshot: PipelineSnapshot, context: ScheduleContext): Promise<ScheduleInfo>
    list(): Promise<ScheduleInfo[]>
    delete(handle: RemoteRunHandle): Promise<void>
  }
  /**
   * Checks that the orchestrator can run pipelines where it points (`strata stack validate`): reachable,
   * and allowed to create what a run needs.
   * @throws StrataError naming what is missing and the fix
   */
  verify?(): Promise<void>
  /**
   * Removes what runs left on this machine when their process was killed (the local orchestrator: step
   * processes' working folders), never what a live process still uses; `strata pipeline runs sync` calls it.
   * Resolves with what it removed.
   */
  reclaim?(): Promise<string[]>
  close?(): Promise<void>
}
