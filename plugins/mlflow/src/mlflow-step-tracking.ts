import { openAsBlob } from 'node:fs'
import { stat } from 'node:fs/promises'
import type { JsonObject, Logger, StepTracking, StrataError } from '@strata/core'
import type { MlflowClient } from './mlflow-client.js'
import { isInactiveTarget, type MlflowErrors } from './mlflow-errors.js'
import {
  encodeMetricValue,
  type KeyValue,
  keyProblem,
  type LimitProblem,
  type MetricEntry,
  MLFLOW_LIMITS,
  metricProblem,
  splitIntoBatches,
  valueProblem,
} from './mlflow-limits.js'

export interface MlflowRunHandle {
  runId: string
  experimentId: string
  /** The run's `artifact_uri`, e.g. `mlflow-artifacts:/1/<run id>/artifacts`. */
  artifactUri: string
  runUrl: string
  parentRunId: string | undefined
}

export interface MlflowStepTrackingOptions {
  client: MlflowClient
  errors: MlflowErrors
  logger: Logger
  stepName: string
  run: MlflowRunHandle
  /**
   * Pending params, metrics and tags are sent this long after the first of them is logged (sooner when a
   * full request's worth is pending), so a long step shows progress in MLflow's UI.
   * @default 5000
   */
  flushIntervalMs?: number
}

type ParamValue = string | number | boolean

/** The artifact path inside the run, from `mlflow-artifacts:/1/<run id>/artifacts[/…]`. */
function proxiedArtifactRoot(artifactUri: string): string | undefined {
  const match = /^mlflow-artifacts:(?:\/\/[^/]*)?\/?(.*)$/.exec(artifactUri)
  return match?.[1]?.replace(/\/+$/, '')
}

/**
 * One step's MLflow run. Params, metrics and tags are checked against MLflow's limits when they are
 * logged (a clear error at the call, never a silent truncation), queued, and sent with `runs/log-batch`;
 * `end()` sends what is left and fails when anything could not be delivered.
 */
export class MlflowStepTracking implements StepTracking {
  readonly runId: string
  readonly runUrl: string
  readonly #options: MlflowStepTrackingOptions
  readonly #run: MlflowRunHandle
  /** Every param this run accepted (sent or pending): MLflow refuses to change a param's value. */
  readonly #params = new Map<string, string>()
  #pendingParams: KeyValue[] = []
  #pendingTags = new Map<string, string>()
  #pendingMetrics: MetricEntry[] = []
  #sending: Promise<void> = Promise.resolve()
  #failure: StrataError | undefined
  #timer: NodeJS.Timeout | undefined
  /** Artifact uploads in flight. */
  readonly #uploads = new Set<Promise<void>>()
  #ended: Promise<JsonObject> | undefined

  constructor(options: MlflowStepTrackingOptions) {
    this.#options = options
    this.#run = options.run
    this.runId = options.run.runId
    this.runUrl = options.run.runUrl
  }

  logParams(params: Record<string, ParamValue>): void {
    this.#assertOpen('logParams')
    const accepted: KeyValue[] = []
    for (const [key, raw] of Object.entries(params)) {
      if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') {
        this.#throw({
          code: 'MLFLOW_INVALID_VALUE',
          what: `param '${key}' got a ${raw === null ? 'null' : typeof raw}`,
          fix: 'log strings, numbers or booleans as params (JSON.stringify() structured values first)',
        })
      }
      const value = String(raw)
      this.#check(keyProblem('param', key) ?? valueProblem('param', key, value))
      const previous = this.#params.get(key) ?? accepted.find((entry) => entry.key === key)?.value
      if (previous === undefined) accepted.push({ key, value })
      else if (previous !== value) {
        this.#throw({
          code: 'MLFLOW_PARAM_CHANGED',
          what: `param '${key}' of step '${this.#options.stepName}' is already '${previous.slice(0, 100)}' and MLflow params cannot change (got '${value.slice(0, 100)}')`,
          fix: 'log values that change as metrics or tags, or use another param key',
        })
      }
    }
    for (const entry of accepted) {
      this.#params.set(entry.key, entry.value)
      this.#pendingParams.push(entry)
    }
    this.#scheduleSend()
  }

  logMetric(key: string, value: number, step?: number): void {
    this.logMetrics({ [key]: value }, step)
  }

  logMetrics(metrics: Record<string, number>, step?: number): void {
    this.#assertOpen('logMetrics')
    for (const [key, value] of Object.entries(metrics)) this.#check(metricProblem(key, value, step))
    const timestamp = Date.now()
    for (const [key, value] of Object.entries(metrics)) {
      this.#pendingMetrics.push({ key, value: encodeMetricValue(value), timestamp, step: step ?? 0 })
    }
    this.#scheduleSend()
  }

  setTags(tags: Record<string, string>): void {
    this.#assertOpen('setTags')
    const values = Object.entries(tags).map(([key, raw]) => [key, String(raw)] as const)
    for (const [key, value] of values) this.#check(keyProblem('tag', key) ?? valueProblem('tag', key, value))
    for (const [key, value] of values) {
      // A later value of the same tag wins, as in MLflow; only the last one needs sending.
      this.#pendingTags.delete(key)
      this.#pendingTags.set(key, value)
    }
    this.#scheduleSend()
  }

  /**
   * Uploads a file (by path) or bytes to `<name>` in the run's artifacts, through MLflow's artifact proxy.
   * @throws StrataError when the name is not a relative path, the file cannot be read, the server does
   *   not proxy artifacts, or the upload fails
   */
  logArtifact(source: string | Uint8Array, name: string): Promise<void> {
    const upload = this.#upload(source, name)
    this.#uploads.add(upload)
    const settled = (): void => {
      this.#uploads.delete(upload)
    }
    upload.then(settled, settled)
    return upload
  }

  async #upload(source: string | Uint8Array, name: string): Promise<void> {
    this.#assertOpen('logArtifact')
    const segments = name.split('/')
    if (name.includes('\\') || segments.some((s) => s === '' || s === '.' || s === '..')) {
      this.#throw({
        code: 'MLFLOW_INVALID_VALUE',
        what: `artifact name '${name}' is not a relative path`,
        fix: "name artifacts like 'model.json' or 'plots/loss.png' ('/' between folders, no '.' or '..')",
      })
    }
    const root = proxiedArtifactRoot(this.#run.artifactUri)
    if (root === undefined) {
      this.#throw({
        code: 'MLFLOW_ARTIFACTS_NOT_PROXIED',
        what: `run ${this.runId} stores artifacts at '${this.#run.artifactUri}', which the server does not proxy`,
        fix: "start 'mlflow server' with --serve-artifacts (the default since MLflow 2.0) and use an experiment created while it was on (its artifact location starts with mlflow-artifacts:)",
      })
    }
    const body = typeof source === 'string' ? await this.#readFile(source, name) : source
    await this.#options.client.putArtifact(
      `${root}/${name}`,
      body,
      `uploading artifact '${name}' of step '${this.#options.stepName}' to run ${this.runId}`,
    )
  }

  end(status: 'completed' | 'failed'): Promise<JsonObject> {
    this.#ended ??= this.#end(status)
    return this.#ended
  }

  async #end(status: 'completed' | 'failed'): Promise<JsonObject> {
    // An upload the step did not wait for still belongs to the run: wait for it, and fail if it failed.
    const uploads = await Promise.allSettled([...this.#uploads])
    await this.#send()
    const failedUpload = uploads.find((result) => result.status === 'rejected')
    const failure = this.#failure ?? (failedUpload?.reason as StrataError | undefined)
    try {
      await this.#options.client.post(
        'runs/update',
        {
          run_id: this.runId,
          status: failure || status === 'failed' ? 'FAILED' : 'FINISHED',
          end_time: Date.now(),
        },
        `ending run ${this.runId} of step '${this.#options.stepName}'`,
      )
    } catch (error) {
      if (failure === undefined) throw error
      this.#options.logger.warn('could not mark the MLflow run failed', { runId: this.runId })
    }
    if (failure !== undefined) throw failure
    return {
      experiment_tracker_url: this.runUrl,
      mlflow_run_id: this.runId,
      mlflow_experiment_id: this.#run.experimentId,
      ...(this.#run.parentRunId === undefined ? {} : { mlflow_parent_run_id: this.#run.parentRunId }),
      mlflow_tracking_uri: this.#options.client.trackingUri,
    }
  }

  async #readFile(path: string, name: string): Promise<Blob> {
    try {
      const info = await stat(path)
      if (info.isFile()) return await openAsBlob(path)
    } catch (error) {
      throw this.#options.errors.create(
        'MLFLOW_ARTIFACT_READ_FAILED',
        `cannot read '${path}' to log it as artifact '${name}' (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
        'check that the file exists and is readable, or pass its bytes instead',
        { cause: error },
      )
    }
    throw this.#options.errors.create(
      'MLFLOW_ARTIFACT_READ_FAILED',
      `'${path}' is not a file, so it cannot be logged as artifact '${name}'`,
      'log the files of a directory one by one (or an archive of it)',
    )
  }

  #pendingCount(): number {
    return this.#pendingParams.length + this.#pendingTags.size + this.#pendingMetrics.length
  }

  #scheduleSend(): void {
    if (this.#pendingCount() >= MLFLOW_LIMITS.entitiesPerRequest) {
      void this.#send()
      return
    }
    if (this.#timer !== undefined) return
    this.#timer = setTimeout(() => void this.#send(), this.#options.flushIntervalMs ?? 5000)
    // A pending flush must not keep a finished step process alive; end() sends what is left.
    this.#timer.unref()
  }

  /** Sends everything pending, after what is already being sent; never rejects (see #failure). */
  #send(): Promise<void> {
    clearTimeout(this.#timer)
    this.#timer = undefined
    if (this.#pendingCount() === 0) return this.#sending
    const pending = {
      params: this.#pendingParams,
      tags: [...this.#pendingTags].map(([key, value]) => ({ key, value })),
      metrics: this.#pendingMetrics,
    }
    this.#pendingParams = []
    this.#pendingTags = new Map()
    this.#pendingMetrics = []
    this.#sending = this.#sending.then(async () => {
      const requests = splitIntoBatches(pending)
      for (const [index, request] of requests.entries()) {
        const count = request.params.length + request.tags.length + request.metrics.length
        // After a failure the rest is dropped: end() reports the failure, and the step fails.
        if (this.#failure !== undefined) break
        try {
          await this.#options.client.post(
            'runs/log-batch',
            { run_id: this.runId, ...request },
            `logging ${count} params/metrics/tags of step '${this.#options.stepName}' to run ${this.runId} (request ${index + 1} of ${requests.length})`,
          )
        } catch (error) {
          this.#failure = this.#runDeleted(error) ?? (error as StrataError)
          this.#options.logger.warn('MLflow did not accept logged values; the step will fail when it ends', {
            runId: this.runId,
            error: (error as Error).message,
          })
        }
      }
    })
    return this.#sending
  }

  /** MLflow refuses to log to a deleted run (deleted itself, or with its experiment): say so, and what to do. */
  #runDeleted(error: unknown): StrataError | undefined {
    if (!isInactiveTarget(error)) return undefined
    const { experimentId } = this.#run
    return this.#options.errors.create(
      'MLFLOW_RUN_DELETED',
      `MLflow run ${this.runId} of step '${this.#options.stepName}' was deleted while the step ran (with experiment ${experimentId}, or on its own), so what the step logged since its last flush is lost`,
      `restore the experiment (MLflow UI, or 'mlflow experiments restore --experiment-id ${experimentId}') or the run, then run the step again`,
      { cause: error },
    )
  }

  #assertOpen(method: string): void {
    if (this.#ended === undefined) return
    this.#throw({
      code: 'MLFLOW_RUN_ENDED',
      what: `${method}() was called after the MLflow run of step '${this.#options.stepName}' ended`,
      fix: 'log everything before the step returns (await any pending work in the step)',
    })
  }

  #check(problem: LimitProblem | undefined): void {
    if (problem) this.#throw(problem)
  }

  #throw(problem: LimitProblem): never {
    throw this.#options.errors.create(problem.code, problem.what, problem.fix)
  }
}
