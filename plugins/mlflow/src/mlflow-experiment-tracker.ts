import {
  type ExperimentTrackerV1,
  type FlavorContext,
  isStrataError,
  type Logger,
  type PipelineTracking,
  parseSecretReference,
  type StepTracking,
  StrataError,
  type TrackedPipelineRun,
  type TrackedStepRun,
} from '@strata/core'
import { z } from 'zod'
import { type MlflowAuth, MlflowClient } from './mlflow-client.js'
import { isInactiveTarget, MlflowErrors } from './mlflow-errors.js'
import {
  type MlflowExperimentTrackerConfig,
  mlflowExperimentTrackerSettings,
} from './mlflow-experiment-tracker-flavor.js'
import { type KeyValue, keyProblem, valueProblem } from './mlflow-limits.js'
import { type MlflowRunHandle, MlflowStepTracking } from './mlflow-step-tracking.js'

/** What `startPipelineRun` hands to every step, as JSON (steps may run in other processes). */
const pipelineStateSchema = z.object({
  mlflow: z.literal(1),
  experimentId: z.string().min(1),
  parentRunId: z.string().min(1).optional(),
})

type PipelineState = z.output<typeof pipelineStateSchema>

export interface MlflowExperimentTrackerOptions {
  /** Where `MLFLOW_TRACKING_*` credentials are read when the config has none. @default process.env */
  env?: Record<string, string | undefined>
  /** @see MlflowClientOptions.retryDelayMs */
  retryDelayMs?: number
  /** @see MlflowStepTrackingOptions.flushIntervalMs */
  flushIntervalMs?: number
}

interface RunInfo {
  run_id: string
  experiment_id: string
  artifact_uri: string
}

// Shorter values are not worth hiding and would mangle every message they occur in.
const MIN_REDACTED_LENGTH = 4

function credentials(
  config: MlflowExperimentTrackerConfig,
  env: Record<string, string | undefined>,
): MlflowAuth {
  // Config wins as a whole; MLflow's variables are the fallback, user/password before token as in MLflow.
  const fromConfig = config.username !== undefined || config.token !== undefined
  const username = fromConfig ? config.username : env['MLFLOW_TRACKING_USERNAME']
  const password = fromConfig ? config.password : env['MLFLOW_TRACKING_PASSWORD']
  const token = fromConfig ? config.token : env['MLFLOW_TRACKING_TOKEN']
  if (username && password) return { kind: 'basic', username, password }
  if (token) return { kind: 'bearer', token }
  return { kind: 'none' }
}

/**
 * The `experiment_tracker/mlflow` implementation: an MLflow run per pipeline run with a nested run per
 * tracked step (or a top-level run per step), all through MLflow's REST API.
 */
export class MlflowExperimentTracker implements ExperimentTrackerV1 {
  readonly apiVersion = 1
  readonly #config: MlflowExperimentTrackerConfig
  readonly #client: MlflowClient
  readonly #errors: MlflowErrors
  readonly #logger: Logger
  readonly #options: MlflowExperimentTrackerOptions
  readonly #experimentIds = new Map<string, Promise<string>>()

  /** @throws StrataError `INVALID_CONFIG` when a secret field still holds an unresolved reference */
  constructor(
    config: MlflowExperimentTrackerConfig,
    context: FlavorContext,
    options: MlflowExperimentTrackerOptions = {},
  ) {
    this.#config = config
    this.#logger = context.logger
    this.#options = options
    const trackingUri = config.trackingUri.replace(/\/+$/, '')
    const subject = `experiment_tracker '${context.componentName}' (MLflow at ${trackingUri})`
    for (const field of ['username', 'password', 'token'] as const) {
      if (parseSecretReference(config[field]) !== undefined) {
        throw new StrataError(
          'INVALID_CONFIG',
          `${subject}: '${field}' still holds the secret reference ${config[field]} — resolve secret references before create() (strata does this when it loads the stack)`,
        )
      }
    }
    const auth = credentials(config, options.env ?? process.env)
    const secrets = [
      ...(auth.kind === 'basic'
        ? [auth.username, auth.password, Buffer.from(`${auth.username}:${auth.password}`).toString('base64')]
        : []),
      ...(auth.kind === 'bearer' ? [auth.token] : []),
    ].filter((value) => value.length >= MIN_REDACTED_LENGTH)
    this.#errors = new MlflowErrors(subject, secrets)
    this.#client = new MlflowClient({
      trackingUri,
      auth,
      insecureTls: config.insecureTls,
      requestTimeoutMs: config.requestTimeoutMs,
      maxRetries: config.maxRetries,
      ...(options.retryDelayMs === undefined ? {} : { retryDelayMs: options.retryDelayMs }),
      errors: this.#errors,
      logger: context.logger,
    })
  }

  /**
   * Finds (or creates) the experiment and, when `nested`, opens the pipeline run's parent MLflow run.
   * @throws StrataError when MLflow is unreachable, refuses the credentials, or the experiment is deleted
   */
  async startPipelineRun(run: TrackedPipelineRun): Promise<PipelineTracking> {
    const experimentId = await this.#experimentId(this.#config.experimentName ?? run.pipelineName)
    if (!this.#config.nested) {
      const state: PipelineState = { mlflow: 1, experimentId }
      return { state, end: async () => {} }
    }
    const parent = await this.#createRun(
      experimentId,
      run.runName,
      this.#strataTags(run),
      `pipeline run '${run.runName}'`,
    )
    const state: PipelineState = { mlflow: 1, experimentId, parentRunId: parent.run_id }
    let ended: Promise<void> | undefined
    return {
      state,
      end: (status) => {
        ended ??= this.#client
          .post(
            'runs/update',
            {
              run_id: parent.run_id,
              status: status === 'completed' ? 'FINISHED' : 'FAILED',
              end_time: Date.now(),
            },
            `ending run ${parent.run_id} of pipeline run '${run.runName}'`,
          )
          .then(() => {})
        return ended
      },
    }
  }

  /**
   * Opens the step's MLflow run: nested under the pipeline's run when there is one and `nested` holds.
   * @throws StrataError when the pipeline state or the settings are not this plugin's, or MLflow fails
   */
  async startStep(step: TrackedStepRun): Promise<StepTracking> {
    const settings = this.#settings(step)
    const state = this.#pipelineState(step)
    const experimentId =
      state?.experimentId ?? (await this.#experimentId(this.#config.experimentName ?? step.pipelineName))
    const parentRunId = (settings.nested ?? this.#config.nested) ? state?.parentRunId : undefined
    const tags: KeyValue[] = [...this.#strataTags(step), { key: 'strata.step_name', value: step.stepName }]
    // Runtimes before TrackedStepRun.stepRunId do not pass it.
    if (step.stepRunId !== undefined) tags.push({ key: 'strata.step_run_id', value: step.stepRunId })
    if (parentRunId !== undefined) tags.push({ key: 'mlflow.parentRunId', value: parentRunId })
    for (const [key, value] of Object.entries(settings.tags ?? {})) {
      const problem = keyProblem('tag', key) ?? valueProblem('tag', key, value)
      if (problem)
        throw this.#errors.create(
          problem.code,
          `settings of step '${step.stepName}': ${problem.what}`,
          problem.fix,
        )
      tags.push({ key, value })
    }
    const runName = parentRunId === undefined ? `${step.runName}/${step.stepName}` : step.stepName
    const info = await this.#createRun(experimentId, runName, tags, `step '${step.stepName}'`)
    const run: MlflowRunHandle = {
      runId: info.run_id,
      experimentId,
      artifactUri: info.artifact_uri,
      runUrl: this.#runUrl(experimentId, info.run_id),
      parentRunId,
    }
    return new MlflowStepTracking({
      client: this.#client,
      errors: this.#errors,
      logger: this.#logger,
      stepName: step.stepName,
      run,
      ...(this.#options.flushIntervalMs === undefined
        ? {}
        : { flushIntervalMs: this.#options.flushIntervalMs }),
    })
  }

  /**
   * Checks that the server answers with these credentials, and that the configured experiment (if any)
   * is not deleted.
   * @throws StrataError `MLFLOW_UNREACHABLE`, `MLFLOW_AUTH_FAILED`, `MLFLOW_EXPERIMENT_DELETED`, …
   */
  async verify(): Promise<void> {
    // /health answers without credentials, so ask something that needs them.
    await this.#client.post('experiments/search', { max_results: 1 }, 'checking the connection')
    if (this.#config.experimentName !== undefined) await this.#findExperiment(this.#config.experimentName)
  }

  async close(): Promise<void> {
    await this.#client.close()
  }

  #experimentId(name: string): Promise<string> {
    let id = this.#experimentIds.get(name)
    if (id === undefined) {
      id = this.#findOrCreateExperiment(name)
      this.#experimentIds.set(name, id)
      // A failure is not remembered: the next pipeline run asks again.
      id.catch(() => this.#experimentIds.delete(name))
    }
    return id
  }

  async #findOrCreateExperiment(name: string): Promise<string> {
    const existing = await this.#findExperiment(name)
    if (existing !== undefined) return existing
    try {
      const created = await this.#client.post<{ experiment_id: string }>(
        'experiments/create',
        { name },
        `creating experiment '${name}'`,
      )
      if (typeof created.experiment_id !== 'string')
        throw this.#unexpectedAnswer(`creating experiment '${name}'`)
      this.#logger.info('created MLflow experiment', {
        experiment: name,
        experimentId: created.experiment_id,
      })
      return created.experiment_id
    } catch (error) {
      // Another process created it first.
      if (mlflowErrorCode(error) !== 'RESOURCE_ALREADY_EXISTS') throw error
      const raced = await this.#findExperiment(name)
      if (raced === undefined) throw error
      return raced
    }
  }

  /** The experiment's id; `undefined` when there is none of that name. */
  async #findExperiment(name: string): Promise<string | undefined> {
    let experiment: { experiment_id: string; lifecycle_stage?: string }
    try {
      ;({ experiment } = await this.#client.get<{ experiment: typeof experiment }>(
        'experiments/get-by-name',
        { experiment_name: name },
        `looking up experiment '${name}'`,
      ))
    } catch (error) {
      if (mlflowErrorCode(error) === 'RESOURCE_DOES_NOT_EXIST') return undefined
      throw error
    }
    if (typeof experiment?.experiment_id !== 'string')
      throw this.#unexpectedAnswer(`looking up experiment '${name}'`)
    if (experiment.lifecycle_stage === 'deleted')
      throw this.#experimentDeleted(name, experiment.experiment_id)
    return experiment.experiment_id
  }

  #experimentDeleted(name: string | undefined, id: string, cause?: unknown): StrataError {
    return this.#errors.create(
      'MLFLOW_EXPERIMENT_DELETED',
      `MLflow experiment ${name === undefined ? '' : `'${name}' `}(id ${id}) is deleted, so no run can be logged to it`,
      `restore it (MLflow UI, or 'mlflow experiments restore --experiment-id ${id}'), remove it for good on the server ('mlflow gc --experiment-ids ${id}'), or set experimentName to another name`,
      { cause, details: { experimentId: id } },
    )
  }

  #unexpectedAnswer(action: string): StrataError {
    return this.#errors.create(
      'MLFLOW_REQUEST_FAILED',
      `${action} failed: the server's answer lacks the fields MLflow's REST API returns`,
      'check that trackingUri is the base URL of an MLflow tracking server (2.x or 3.x)',
    )
  }

  async #createRun(experimentId: string, runName: string, tags: KeyValue[], what: string): Promise<RunInfo> {
    try {
      const { run } = await this.#client.post<{ run: { info: RunInfo } }>(
        'runs/create',
        { experiment_id: experimentId, run_name: runName, start_time: Date.now(), tags },
        `creating the MLflow run of ${what} in experiment ${experimentId}`,
      )
      if (typeof run?.info?.run_id !== 'string')
        throw this.#unexpectedAnswer(`creating the MLflow run of ${what}`)
      return run.info
    } catch (error) {
      // The experiment was deleted after the pipeline run found it.
      if (isInactiveTarget(error)) {
        // Ask for the experiment again next time: it may be restored, or replaced by a new one.
        this.#experimentIds.clear()
        throw this.#experimentDeleted(undefined, experimentId, error)
      }
      throw error
    }
  }

  #strataTags(run: TrackedPipelineRun): KeyValue[] {
    return [
      { key: 'strata.pipeline_name', value: run.pipelineName },
      { key: 'strata.run_id', value: run.runId },
      { key: 'strata.run_name', value: run.runName },
    ]
  }

  #runUrl(experimentId: string, runId: string): string {
    return `${this.#client.trackingUri}/#/experiments/${experimentId}/runs/${runId}`
  }

  #settings(step: TrackedStepRun): z.output<typeof mlflowExperimentTrackerSettings> {
    const parsed = mlflowExperimentTrackerSettings.safeParse(step.settings ?? {})
    if (parsed.success) return parsed.data
    const problems = parsed.error.issues.map((issue) => `'${issue.path.join('.')}': ${issue.message}`)
    throw this.#errors.create(
      'MLFLOW_INVALID_VALUE',
      `settings 'experiment_tracker.mlflow' of step '${step.stepName}': ${problems.join('; ')}`,
      "see 'strata experiment-tracker flavor describe mlflow'",
    )
  }

  #pipelineState(step: TrackedStepRun): PipelineState | undefined {
    if (step.pipelineState === undefined || step.pipelineState === null) return undefined
    const parsed = pipelineStateSchema.safeParse(step.pipelineState)
    if (parsed.success) return parsed.data
    throw this.#errors.create(
      'MLFLOW_INVALID_STATE',
      `the pipeline state handed to step '${step.stepName}' was not written by @strata/mlflow (${JSON.stringify(step.pipelineState).slice(0, 200)})`,
      'pass the state that startPipelineRun() of this tracker returned for the same pipeline run',
    )
  }
}

/** MLflow's `error_code` behind one of the client's errors. */
function mlflowErrorCode(error: unknown): string | undefined {
  if (!isStrataError(error)) return undefined
  const code = error.details?.['mlflowErrorCode']
  return typeof code === 'string' ? code : undefined
}
