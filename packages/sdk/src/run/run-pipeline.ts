import { randomUUID } from 'node:crypto'
import {
  type ExperimentTrackerV1,
  errorMessage,
  type OrchestratorRunContext,
  type PipelineSnapshot,
  type PipelineTracking,
  redactError,
  redactText,
  type StepRunState,
  StrataError,
} from '@strata/core'
import type { ArtifactVersionRecord, RunStatus } from '@strata/store'
import { fingerprintModules } from '../cache/code-fingerprint.js'
import { compilePipeline, type PipelineDefinition } from '../compiler/compile.js'
import { loadRunConfig, parseRunConfig, type RunConfig } from '../compiler/run-config.js'
import { findProjectRoot } from '../discovery/project-root.js'
import type { StepDefinition } from '../dsl/step.js'
import { buildCodeBundle } from '../process/code-bundle.js'
import { importingModules, insideStepProcess } from '../process/step-process-env.js'
import { collectStep, stepCommand } from '../process/step-process-host.js'
import { runKeys } from '../recording/journal.js'
import type { RunEvent } from '../recording/run-events.js'
import { StoreRecorder } from '../recording/store-recorder.js'
import type { ArtifactVersionInfo } from '../step/artifact-io.js'
import { resolveFromCache, runStep, type StepRunnerHost } from '../step/step-runner.js'
import type { RunEnvironment } from './run-environment.js'
import { artifactInfo, linkedArtifacts, resolveModels } from './run-models.js'
import { failedStepsError } from './run-outcome.js'
import { currentOwner, reconcileAbandonedRuns } from './run-owner.js'
import { type RunOutput, reportStep } from './run-progress.js'
import { runSecretValues } from './run-secrets.js'
import { buildSnapshot, defaultRunName } from './run-snapshot.js'

export interface RunOptions extends Omit<RunConfig, 'parameters'> {
  /** The pipeline's parameters (beat the run config file's `parameters`). */
  params?: Record<string, unknown>
  /** A run configuration file (YAML), or the configuration itself. */
  config?: string | RunConfig
  /** Use this environment (store + stack) instead of opening the active one. */
  environment?: RunEnvironment
  /**
   * Where to print step logs and progress; `false` keeps the run quiet. Progress lines come with their
   * structured state as a second argument (a terminal can draw a live view from it).
   * @default process.stdout
   */
  output?: RunOutput | false
  /** Stops the run when aborted, like SIGINT. */
  signal?: AbortSignal
}

/** The outcome of `pipeline.run()`. */
export interface PipelineRun {
  id: string
  name: string
  pipelineName: string
  /** `skipped` only inside a step process, where `run()` does nothing. */
  status: RunStatus | 'skipped'
  steps: Record<string, StepRunState>
  error?: string
}

/** How often a run renews its lease, and how long a lease lasts without renewal. */
const HEARTBEAT_MS = 10_000
const LEASE_MS = 60_000

/** Runs a compiled snapshot: cache first, then the orchestrator; records the outcome. */
export interface ExecuteRunOptions {
  environment: RunEnvironment
  snapshot: PipelineSnapshot
  definitions: ReadonlyMap<string, StepDefinition>
  pipeline: PipelineDefinition
  /** Steps already done (completed or cached) in an earlier attempt of this run (resume). */
  done?: ReadonlySet<string>
  output: RunOutput | undefined
  signal: AbortSignal | undefined
}

function checkTrackerUse(
  steps: ReadonlyArray<{ id: string; experimentTracker: boolean | string }>,
  environment: RunEnvironment,
): void {
  for (const step of steps) {
    if (step.experimentTracker === false) continue
    const tracker = environment.experimentTracker
    if (!tracker) {
      throw new StrataError(
        'NO_EXPERIMENT_TRACKER',
        `step '${step.id}' asks for an experiment tracker, but stack '${environment.stackName}' has none — add one with 'strata stack update ${environment.stackName} -e NAME', or drop experimentTracker from the step`,
      )
    }
    if (typeof step.experimentTracker === 'string' && step.experimentTracker !== tracker.component.name) {
      throw new StrataError(
        'NO_EXPERIMENT_TRACKER',
        `step '${step.id}' asks for experiment tracker '${step.experimentTracker}', but stack '${environment.stackName}' has '${tracker.component.name}' — switch stacks or change the step's experimentTracker`,
      )
    }
  }
}

export async function executeRun(options: ExecuteRunOptions): Promise<PipelineRun> {
  try {
    return await executeRecordedRun(options)
  } catch (error) {
    // Whatever failed outside the steps, the run must not stay active: its owner may live on (a server,
    // a notebook), and an owner that is provably alive keeps its run (see run-owner.ts).
    const run = await options.environment.repositories.runs.find(options.snapshot.runId)
    if (run && (run.status === 'running' || run.status === 'initializing')) {
      await options.environment.repositories.runs.setStatus(run.id, 'failed', {
        ended: true,
        error: redactText(errorMessage(error), options.environment.secretValues),
      })
    }
    // Whoever prints it (the CLI, a notebook) must not print a secret with it.
    throw redactError(error, options.environment.secretValues)
  }
}

async function executeRecordedRun(options: ExecuteRunOptions): Promise<PipelineRun> {
  const { environment, snapshot, definitions } = options
  const { runs, artifacts } = environment.repositories
  const store = environment.artifactStore.host
  const runId = snapshot.runId
  const say = options.output
  const events = new StoreRecorder(environment.repositories, runId)
  // Outputs saved by this run's steps, so a downstream step's inputs need no store queries.
  const produced = new Map<string, ArtifactVersionInfo>()
  const recorder = {
    record(event: RunEvent) {
      events.record(event)
      if (event.type === 'artifact_saved') produced.set(`${event.step}\0${event.output}`, event.artifact)
      if (!say) return
      if (event.type === 'step_started') reportStep(say, { step: event.step, state: 'running' })
      else if (event.type === 'step_cached') reportStep(say, { step: event.step, state: 'cached' })
      else if (event.type === 'step_completed') reportStep(say, { step: event.step, state: 'completed' })
      else if (event.type === 'step_retrying')
        reportStep(say, { step: event.step, state: 'retrying', attempt: event.attempt, error: event.error })
      else if (event.type === 'step_failed')
        reportStep(say, { step: event.step, state: event.status, error: event.error })
    },
    flush: () => events.flush(),
  }
  const secretValues = await runSecretValues(environment, snapshot)
  const redact = (text: string): string => redactText(text, secretValues)

  const done = new Set(options.done ?? [])
  if (say) {
    // What a resumed run's done steps were, for the header's step states.
    const doneStates = new Map(
      options.done ? (await runs.stepRuns(runId)).map((step) => [step.name, step.status]) : [],
    )
    const header = options.done
      ? `resuming run ${snapshot.runName}: ${done.size} of ${snapshot.steps.length} steps already done`
      : `run ${snapshot.runName}: ${snapshot.steps.length} steps on stack '${environment.stackName}'`
    say(header, {
      type: 'run_started',
      runName: snapshot.runName,
      pipelineName: snapshot.pipeline.name,
      stackName: environment.stackName,
      steps: snapshot.steps.map((step) => ({
        id: step.id,
        state: done.has(step.id)
          ? doneStates.get(step.id) === 'cached'
            ? 'cached'
            : 'completed'
          : 'pending',
      })),
      resumed: options.done !== undefined,
    })
  }

  let trackerInstance: Promise<ExperimentTrackerV1> | undefined
  const tracker = environment.experimentTracker
  const getTracker = tracker ? () => (trackerInstance ??= tracker.create()) : undefined
  let pipelineTracking: PipelineTracking | undefined
  if (getTracker && snapshot.steps.some((step) => step.experimentTracker)) {
    const instance = await getTracker()
    if (instance.startPipelineRun) {
      pipelineTracking = await instance.startPipelineRun({
        pipelineName: snapshot.pipeline.name,
        runId,
        runName: snapshot.runName,
      })
      snapshot.experimentTrackerState = pipelineTracking.state
    }
  }
  await runs.updateSnapshot(runId, snapshot)
  await store.write(runKeys.snapshot(runId), JSON.stringify(snapshot))

  const stepInputs = async (stepId: string): Promise<Record<string, ArtifactVersionInfo>> => {
    const step = snapshot.steps.find((candidate) => candidate.id === stepId)!
    const resolved: Record<string, ArtifactVersionInfo> = {}
    for (const [name, input] of Object.entries(step.inputs)) {
      if (input.kind === 'artifact') {
        resolved[name] = artifactInfo(await artifacts.requireVersionById(input.artifactVersionId))
        continue
      }
      const saved = produced.get(`${input.step}\0${input.output}`)
      if (saved) {
        resolved[name] = saved
        continue
      }
      const upstream = await runs.stepRun(runId, input.step)
      const versionId = upstream ? (await runs.stepArtifacts(upstream.id, 'output'))[input.output] : undefined
      if (!versionId) {
        throw new StrataError(
          'MISSING_INPUT',
          `step '${stepId}': its input '${name}' (output '${input.output}' of '${input.step}') was never produced`,
        )
      }
      resolved[name] = artifactInfo(await artifacts.requireVersionById(versionId))
    }
    return resolved
  }

  const host: StepRunnerHost = {
    snapshot,
    store,
    recorder,
    definition: (stepId) => {
      const definition = definitions.get(stepId)
      if (!definition) throw new StrataError('UNKNOWN_STEP', `no definition for step '${stepId}'`)
      return definition
    },
    inputs: stepInputs,
    findCached: (key) => runs.findCacheHit(key),
    modelArtifacts: (versionId) => linkedArtifacts(environment.repositories, versionId),
    materializers: options.pipeline.config.materializers ?? [],
    ...(getTracker ? { experimentTracker: getTracker } : {}),
    ...(say ? { echo: say } : {}),
    redact,
  }

  const controller = new AbortController()
  const stop = (): void => controller.abort(new Error('the run was interrupted (SIGINT)'))
  options.signal?.addEventListener('abort', stop, { once: true })
  process.on('SIGINT', stop)
  // A missed renewal is harmless (the lease outlasts several); one still queued when the run ends is not
  // worth an unhandled rejection.
  const heartbeat = setInterval(() => runs.heartbeat(runId).catch(() => {}), HEARTBEAT_MS)
  heartbeat.unref()

  let states: Record<string, StepRunState> = {}
  let failure: string | undefined
  try {
    // Resolve cache hits up front: a step whose upstream steps are all done can be checked now.
    for (const step of snapshot.steps) {
      if (done.has(step.id) || !step.cache.enabled || !step.upstream.every((id) => done.has(id))) continue
      if (await resolveFromCache(host, step.id)) done.add(step.id)
    }
    if (done.size === snapshot.steps.length) {
      states = Object.fromEntries(snapshot.steps.map((step) => [step.id, 'cached' as const]))
      say?.(`all ${snapshot.steps.length} steps cached — the orchestrator was not called`)
    } else {
      await runs.setStatus(runId, 'running')
      let bundle: Promise<void> | undefined
      const print = (message: string) => say?.(redact(message))
      const context: OrchestratorRunContext = {
        logger: { debug: () => {}, info: print, warn: print, error: print },
        signal: controller.signal,
        cached: done,
        runStep: (stepId, signal) => runStep(host, stepId, signal),
        prepareStep: async (stepId) => {
          if (await resolveFromCache(host, stepId)) return { status: 'cached' }
          bundle ??= (async () => {
            const modules: Record<string, string> = {}
            for (const step of snapshot.steps) {
              const definition = definitions.get(step.id)
              if (definition?.module) modules[step.source.module] = definition.module
            }
            await store.write(runKeys.bundle(runId), await buildCodeBundle(modules, environment.projectRoot))
          })()
          await bundle
          await store.write(runKeys.stepInputs(runId, stepId), JSON.stringify(await stepInputs(stepId)))
          // The step has its row while its process runs (describe shows it running; if this client dies,
          // the abandoned run marks it failed); the process's journal, ingested later, completes it.
          events.record({
            type: 'step_started',
            id: randomUUID(),
            step: stepId,
            stepName: snapshot.steps.find((step) => step.id === stepId)!.step,
            attempt: 1,
            at: new Date().toISOString(),
          })
          await events.flush()
          reportStep(say, { step: stepId, state: 'running', ownProcess: true })
          return undefined
        },
        stepCommand: (stepId) => stepCommand(environment, snapshot, stepId, secretValues),
        collectStep: async (stepId, exit) =>
          collectStep(environment, snapshot, stepId, exit, say, secretValues),
      }
      const result = await environment.orchestrator.implementation.run(snapshot, context)
      states = result.steps
    }
  } catch (error) {
    failure = redact(error instanceof Error ? error.message : String(error))
  } finally {
    // Whatever a step recorded after its last flush (an orchestrator that ended early) is kept.
    try {
      await events.flush()
    } catch (error) {
      failure ??= redact(error instanceof Error ? error.message : String(error))
    }
    clearInterval(heartbeat)
    process.off('SIGINT', stop)
    options.signal?.removeEventListener('abort', stop)
  }

  const values = Object.values(states)
  const status: RunStatus =
    failure !== undefined || values.includes('failed')
      ? 'failed'
      : controller.signal.aborted || values.includes('stopped')
        ? 'stopped'
        : values.every((state) => state === 'completed' || state === 'cached')
          ? 'completed'
          : 'failed'
  const failedSteps = Object.entries(states)
    .filter(([, state]) => state === 'failed')
    .map(([id]) => id)
  const error =
    failure ??
    (failedSteps.length > 0
      ? failedStepsError(snapshot.runName, failedSteps)
      : status === 'stopped'
        ? 'stopped by the user'
        : undefined)
  for (const [stepId, state] of Object.entries(states)) {
    if (state === 'skipped')
      await runs.upsertStepRun(runId, stepId, {
        step: snapshot.steps.find((s) => s.id === stepId)!.step,
        status: 'skipped',
      })
    if (state === 'skipped' || state === 'not_started') reportStep(say, { step: stepId, state })
  }
  await runs.setStatus(runId, status, { ended: true, ...(error ? { error } : {}) })
  await pipelineTracking?.end(status === 'completed' ? 'completed' : 'failed').catch(() => {})
  const hookContext = { pipelineName: snapshot.pipeline.name, runId, runName: snapshot.runName }
  const { onSuccess, onFailure } = options.pipeline.config
  try {
    if (status === 'completed') await onSuccess?.(hookContext)
    else await onFailure?.(new Error(error ?? status), hookContext)
  } catch (hookError) {
    say?.(
      redact(
        `pipeline ${status === 'completed' ? 'onSuccess' : 'onFailure'} hook failed: ${(hookError as Error).message}`,
      ),
    )
  }
  if (trackerInstance) await (await trackerInstance).close?.()
  say?.(`run ${snapshot.runName}: ${status}${error ? ` — ${error}` : ''}`, {
    type: 'run_finished',
    runName: snapshot.runName,
    status,
    ...(error ? { error } : {}),
  })
  return {
    id: runId,
    name: snapshot.runName,
    pipelineName: snapshot.pipeline.name,
    status,
    steps: states,
    ...(error ? { error } : {}),
  }
}

/**
 * Compiles and runs a pipeline on the environment's stack: validates configuration, fingerprints code,
 * records the run and its owner, resolves cached steps, and hands the rest to the orchestrator.
 */
export async function runPipeline(
  pipeline: PipelineDefinition,
  options: RunOptions = {},
): Promise<PipelineRun> {
  if (insideStepProcess() || importingModules()) {
    return { id: '', name: '', pipelineName: pipeline.name, status: 'skipped', steps: {} }
  }
  const { params, config, environment: given, output, signal, ...overrides } = options
  const file =
    typeof config === 'string'
      ? { config: await loadRunConfig(config), source: config }
      : config
        ? { config: parseRunConfig(config, 'run() config'), source: 'run() config' }
        : undefined
  const args = parseRunConfig(overrides, 'run() arguments')
  const compiled = compilePipeline(pipeline, {
    ...(params ? { params } : {}),
    ...(file ? { file } : {}),
    args,
  })

  const modules = [
    ...new Set(
      compiled.steps.map((step) => step.definition.module).filter((m): m is string => m !== undefined),
    ),
  ]
  // The code fingerprint (esbuild, a child process on first use) runs while the store opens and the stack
  // is built; the project root is the one openRunEnvironment() settles on.
  const projectRoot = given?.projectRoot ?? findProjectRoot(process.cwd()) ?? process.cwd()
  const fingerprinting = fingerprintModules(modules, projectRoot)
  fingerprinting.catch(() => {})
  const { openRunEnvironment } = await import('./run-environment.js')
  const environment = given ?? (await openRunEnvironment())
  try {
    await reconcileAbandonedRuns(environment)
    checkTrackerUse(compiled.steps, environment)
    const fingerprints =
      environment.projectRoot === projectRoot
        ? await fingerprinting
        : await fingerprintModules(modules, environment.projectRoot)
    const artifactInputs = new Map<string, ArtifactVersionRecord>()
    for (const step of compiled.steps) {
      for (const input of Object.values(step.inputs)) {
        if (input.kind !== 'artifact') continue
        artifactInputs.set(
          `${input.name}@${input.version ?? 'latest'}`,
          await environment.repositories.artifacts.version(input.name, input.version),
        )
      }
    }
    const run = { id: randomUUID(), name: compiled.runName ?? defaultRunName(compiled.pipelineName) }
    const { repositories } = environment
    // Models resolve (or get their new version) in the transaction that records the run.
    const snapshot = await repositories.transaction(async (tx) => {
      const built = buildSnapshot(
        pipeline,
        compiled,
        environment,
        run,
        fingerprints,
        artifactInputs,
        await resolveModels(tx, compiled),
      )
      await tx.runs.create({
        id: run.id,
        name: run.name,
        pipelineName: compiled.pipelineName,
        stackName: environment.stackName,
        artifactStoreUri: environment.artifactStore.host.uri,
        snapshot: built,
        parameters: compiled.parameters,
        owner: currentOwner(),
        leaseMs: LEASE_MS,
      })
      const versions = new Set([built.model?.versionId, ...built.steps.map((step) => step.model?.versionId)])
      for (const versionId of versions) if (versionId) await tx.models.linkRun(versionId, run.id)
      if (built.model) await tx.runs.setModelVersion(run.id, built.model.versionId)
      return built
    })
    const say: RunOutput | undefined =
      output === false ? undefined : (output ?? ((line: string) => process.stdout.write(`${line}\n`)))
    return await executeRun({
      environment,
      snapshot,
      definitions: new Map(compiled.steps.map((step) => [step.id, step.definition])),
      pipeline,
      output: say,
      signal,
    })
  } finally {
    if (!given) await environment.close()
  }
}
