import {
  type ArtifactVersionInfo,
  type ExperimentTrackerV1,
  type PipelineSnapshot,
  redactText,
  StrataError,
} from '@strata/core'
import type { PipelineDefinition } from '../compiler/compile.js'
import type { StepDefinition } from '../dsl/step.js'
import type { RunEvent, RunRecorder } from '../recording/run-events.js'
import { StoreRecorder } from '../recording/store-recorder.js'
import type { StepRunnerHost } from '../step/step-runner.js'
import type { RunEnvironment } from './run-environment.js'
import { artifactInfo, linkedArtifacts } from './run-models.js'
import { type RunOutput, reportStep } from './run-progress.js'

/** How each recorded event shows as progress. */
function report(say: RunOutput, event: RunEvent): void {
  if (event.type === 'step_started') reportStep(say, { step: event.step, state: 'running' })
  else if (event.type === 'step_cached') reportStep(say, { step: event.step, state: 'cached' })
  else if (event.type === 'step_completed') reportStep(say, { step: event.step, state: 'completed' })
  else if (event.type === 'step_retrying')
    reportStep(say, { step: event.step, state: 'retrying', attempt: event.attempt, error: event.error })
  else if (event.type === 'step_failed')
    reportStep(say, { step: event.step, state: event.status, error: event.error })
}

export interface RunSessionOptions {
  environment: RunEnvironment
  snapshot: PipelineSnapshot
  definitions: ReadonlyMap<string, StepDefinition>
  pipeline: PipelineDefinition
  output: RunOutput | undefined
  /** The run's secret values (see runSecretValues). */
  secretValues: readonly string[]
}

/**
 * One run as this process executes it: where its events go (the store, and the output as progress), the
 * outputs its steps produced, its experiment tracker, and the host the step runner works through.
 */
export class RunSession {
  readonly environment: RunEnvironment
  readonly snapshot: PipelineSnapshot
  readonly definitions: ReadonlyMap<string, StepDefinition>
  readonly pipeline: PipelineDefinition
  readonly say: RunOutput | undefined
  readonly secretValues: readonly string[]
  /** The store's side of the recorder: flush it to commit what was recorded. */
  readonly events: StoreRecorder
  /** Records into the store and reports progress. */
  readonly recorder: RunRecorder
  /** Outputs saved by this run's steps, so a downstream step's inputs need no store queries. */
  readonly #produced = new Map<string, ArtifactVersionInfo>()
  #tracker: Promise<ExperimentTrackerV1> | undefined

  constructor(options: RunSessionOptions) {
    this.environment = options.environment
    this.snapshot = options.snapshot
    this.definitions = options.definitions
    this.pipeline = options.pipeline
    this.say = options.output
    this.secretValues = options.secretValues
    this.events = new StoreRecorder(options.environment.repositories, options.snapshot.runId)
    this.recorder = {
      record: (event) => this.#record(event),
      flush: () => this.events.flush(),
    }
  }

  get runId(): string {
    return this.snapshot.runId
  }

  /** Records an event (applied to the store at the next flush) and reports it. */
  #record(event: RunEvent): void {
    this.events.record(event)
    if (event.type === 'artifact_saved') this.#produced.set(`${event.step}\0${event.output}`, event.artifact)
    if (this.say) report(this.say, event)
  }

  redact = (text: string): string => redactText(text, this.secretValues)

  step(stepId: string) {
    const step = this.snapshot.steps.find((candidate) => candidate.id === stepId)
    if (!step) throw new StrataError('UNKNOWN_STEP', `run ${this.snapshot.runName} has no step '${stepId}'`)
    return step
  }

  /** The stack's experiment tracker, created on first use (one per run; {@link close} closes it). */
  tracker(): Promise<ExperimentTrackerV1> | undefined {
    const create = this.environment.createExperimentTracker
    if (!create) return undefined
    this.#tracker ??= create()
    return this.#tracker
  }

  /** The artifact versions feeding a step's inputs: this run's outputs, else the store's records. */
  async inputs(stepId: string): Promise<Record<string, ArtifactVersionInfo>> {
    const { runs, artifacts } = this.environment.repositories
    const resolved: Record<string, ArtifactVersionInfo> = {}
    for (const [name, input] of Object.entries(this.step(stepId).inputs)) {
      if (input.kind === 'artifact') {
        resolved[name] = artifactInfo(await artifacts.requireVersionById(input.artifactVersionId))
        continue
      }
      const saved = this.#produced.get(`${input.step}\0${input.output}`)
      if (saved) {
        resolved[name] = saved
        continue
      }
      const upstream = await runs.stepRun(this.runId, input.step)
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

  /** What the shared step runner needs to run this run's steps in this process. */
  stepRunnerHost(): StepRunnerHost {
    const { repositories } = this.environment
    const tracker = this.environment.createExperimentTracker ? async () => this.tracker() : undefined
    return {
      snapshot: this.snapshot,
      store: this.environment.artifactStore,
      recorder: this.recorder,
      definition: (stepId) => {
        const definition = this.definitions.get(stepId)
        if (!definition) throw new StrataError('UNKNOWN_STEP', `no definition for step '${stepId}'`)
        return definition
      },
      inputs: (stepId) => this.inputs(stepId),
      findCached: async (key) => {
        const hit = await repositories.runs.findCacheHit(key)
        if (!hit) return undefined
        const artifacts: Record<string, ArtifactVersionInfo> = {}
        for (const [output, id] of Object.entries(hit.outputs))
          artifacts[output] = artifactInfo(await repositories.artifacts.requireVersionById(id))
        return { ...hit, artifacts }
      },
      modelArtifacts: (versionId) => linkedArtifacts(repositories, versionId),
      materializers: this.pipeline.config.materializers ?? [],
      ...(tracker ? { experimentTracker: tracker } : {}),
      ...(this.say ? { echo: this.say } : {}),
      redact: this.redact,
    }
  }

  /** Closes what the run opened (its experiment tracker). */
  async close(): Promise<void> {
    if (this.#tracker) await (await this.#tracker).close?.()
  }
}
