import {
  errorMessage,
  isStrataError,
  type OrchestratorRunResult,
  type PipelineSnapshot,
  type PipelineTracking,
  redactError,
  redactText,
  type StepRunState,
  StrataError,
} from '@strata/core'
import type { PipelineDefinition } from '../compiler/compile.js'
import type { StepDefinition } from '../dsl/step.js'
import { runKeys } from '../recording/journal.js'
import { resolveFromCache } from '../step/step-runner.js'
import { finishRun } from './finish-run.js'
import { orchestratorContext } from './orchestrator-context.js'
import type { RunEnvironment } from './run-environment.js'
import type { RunOutput } from './run-progress.js'
import type { PipelineRun } from './run-result.js'
import { runSecretValues } from './run-secrets.js'
import { RunSession } from './run-session.js'

/** How often a run renews its lease. */
const HEARTBEAT_MS = 10_000

/** Runs a compiled snapshot: cache first, then the orchestrator; records the outcome. */
export interface ExecuteRunOptions {
  environment: RunEnvironment
  snapshot: PipelineSnapshot
  definitions: ReadonlyMap<string, StepDefinition>
  pipeline: PipelineDefinition
  /** Steps already done (completed or cached) in an earlier attempt of this run (resume). */
  done?: ReadonlySet<string>
  output: RunOutput | undefined
  /** Stops the run when aborted (the CLI aborts it on Ctrl-C and SIGTERM). */
  signal: AbortSignal | undefined
}

export async function executeRun(options: ExecuteRunOptions): Promise<PipelineRun> {
  try {
    return await executeRecordedRun(options)
  } catch (error) {
    // Whatever failed outside the steps, the run must not stay active: its owner may live on (a server,
    // a notebook), and an owner that is provably alive keeps its run (see run-owner.ts).
    const { runs } = options.environment.repositories
    const { secretValues } = options.environment
    try {
      const run = await runs.find(options.snapshot.runId)
      if (run && (run.status === 'running' || run.status === 'initializing')) {
        await runs.setStatus(run.id, 'failed', {
          ended: true,
          error: redactText(errorMessage(error), secretValues),
        })
      }
    } catch {
      // The store refuses this write too (still full, still locked): the failure that ended the run is
      // the one to report, with where the run stands.
      throw redactError(leftActive(error, options.snapshot.runName), secretValues)
    }
    // Whoever prints it (the CLI, a notebook) must not print a secret with it.
    throw redactError(error, secretValues)
  }
}

/**
 * The error of a run whose end the store would not take: the store's own error, saying that the run is
 * settled once this process has ended (liveness: the next command that lists runs, or `runs sync`, marks
 * a run whose owner is gone failed).
 */
function leftActive(error: unknown, runName: string): unknown {
  if (!isStrataError(error)) return error
  return new StrataError(
    error.code,
    `${error.message} (run ${runName} could not be marked failed either: once this process has ended, 'strata pipeline runs list' marks it failed)`,
    { cause: error, ...(error.details ? { details: error.details } : {}) },
  )
}

/** The run's header: what runs where, and every step's state now. */
async function announce(session: RunSession, done: ReadonlySet<string>, resumed: boolean): Promise<void> {
  const { say, snapshot, environment } = session
  if (!say) return
  // What a resumed run's done steps were, for the header's step states.
  const doneStates = new Map(
    resumed
      ? (await environment.repositories.runs.stepRuns(session.runId)).map((step) => [step.name, step.status])
      : [],
  )
  const header = resumed
    ? `resuming run ${snapshot.runName}: ${done.size} of ${stepCount(snapshot.steps.length)} already done`
    : `run ${snapshot.runName}: ${stepCount(snapshot.steps.length)} on stack '${environment.stackName}'`
  say(header, {
    type: 'run_started',
    runName: snapshot.runName,
    pipelineName: snapshot.pipeline.name,
    stackName: environment.stackName,
    steps: snapshot.steps.map((step) => ({
      id: step.id,
      state: done.has(step.id) ? (doneStates.get(step.id) === 'cached' ? 'cached' : 'completed') : 'pending',
    })),
    resumed,
  })
}

/** The pipeline-level experiment tracker run, when a step uses the tracker; its state goes in the snapshot. */
async function trackPipeline(session: RunSession): Promise<PipelineTracking | undefined> {
  const { snapshot } = session
  if (!snapshot.steps.some((step) => step.experimentTracker)) return undefined
  const tracker = await session.tracker()
  if (!tracker?.startPipelineRun) return undefined
  const tracking = await tracker.startPipelineRun({
    pipelineName: snapshot.pipeline.name,
    runId: snapshot.runId,
    runName: snapshot.runName,
  })
  snapshot.experimentTrackerState = tracking.state
  return tracking
}

async function executeRecordedRun(options: ExecuteRunOptions): Promise<PipelineRun> {
  const { environment, snapshot } = options
  const { runs } = environment.repositories
  const session = new RunSession({
    environment,
    snapshot,
    definitions: options.definitions,
    pipeline: options.pipeline,
    output: options.output,
    secretValues: await runSecretValues(environment, snapshot),
  })
  const done = new Set(options.done ?? [])
  await announce(session, done, options.done !== undefined)
  const tracking = await trackPipeline(session)
  await runs.updateSnapshot(session.runId, snapshot)
  await environment.artifactStore.write(runKeys.snapshot(session.runId), JSON.stringify(snapshot))

  const host = session.stepRunnerHost()
  const controller = new AbortController()
  const stop = (): void => controller.abort(options.signal?.reason ?? new Error('the run was stopped'))
  // A step's record the store would not take (locked past its busy timeout, a full disk) ends the run: no
  // step starts, running ones stop, and what they recorded is committed at the end if the store takes it.
  session.events.onFailure = (error) =>
    controller.abort(new Error(`the metadata store refused a record: ${errorMessage(error)}`))
  if (options.signal?.aborted) stop()
  else options.signal?.addEventListener('abort', stop, { once: true })
  // A missed renewal is harmless (the lease outlasts several); one still queued when the run ends is not
  // worth an unhandled rejection.
  const heartbeat = setInterval(() => runs.heartbeat(session.runId).catch(() => {}), HEARTBEAT_MS)
  heartbeat.unref()

  let result: OrchestratorRunResult = { steps: {} }
  let failure: string | undefined
  try {
    // Resolve cache hits up front: a step whose upstream steps are all done can be checked now.
    for (const step of snapshot.steps) {
      if (done.has(step.id) || !step.cache.enabled || !step.upstream.every((id) => done.has(id))) continue
      if (await resolveFromCache(host, step.id)) done.add(step.id)
    }
    if (done.size === snapshot.steps.length) {
      result = {
        steps: Object.fromEntries(snapshot.steps.map((step) => [step.id, 'cached' as StepRunState])),
      }
      session.say?.(
        snapshot.steps.length === 1
          ? 'the step is cached — the orchestrator was not called'
          : `all ${snapshot.steps.length} steps cached — the orchestrator was not called`,
      )
    } else {
      await runs.setStatus(session.runId, 'running')
      const context = orchestratorContext({
        session,
        host,
        done,
        signal: controller.signal,
        submitted: (handle) =>
          runs.setRemote(session.runId, { orchestrator: environment.components.orchestrator.name, handle }),
      })
      result = await environment.orchestrator.run(snapshot, context)
    }
  } catch (error) {
    failure = session.redact(errorMessage(error))
  } finally {
    // Whatever a step recorded after its last flush (an orchestrator that ended early, a flush the store
    // refused) is kept, if the store takes it now.
    const refused = session.events.failure
    if (refused) {
      failure ??= session.redact(
        `${errorMessage(refused.error)}; then 'strata pipeline runs resume ${snapshot.runName}' runs what did not finish`,
      )
    }
    try {
      await session.events.commit()
    } catch (error) {
      failure ??= session.redact(errorMessage(error))
    }
    clearInterval(heartbeat)
    options.signal?.removeEventListener('abort', stop)
  }
  return finishRun({ session, result, failure, tracking, stopped: controller.signal.aborted })
}

/** `1 step`, `3 steps`. */
function stepCount(count: number): string {
  return `${count} ${count === 1 ? 'step' : 'steps'}`
}
