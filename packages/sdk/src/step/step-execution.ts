import { randomUUID } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  type JsonObject,
  type StepModelContext,
  type StepOutcome,
  type StepSnapshot,
  type StepTracking,
  StrataError,
} from '@strata/core'
import type { HookContext, StepDefinition } from '../dsl/step.js'
import { materializerById, selectMaterializer } from '../materializers/select-materializer.js'
import { runKeys } from '../recording/journal.js'
import type { RunRecorder } from '../recording/run-events.js'
import { redactingRecorder } from '../run/run-secrets.js'
import { createModelContext, createStepContext } from '../runtime/step-context.js'
import { loadArtifact, saveArtifact } from './artifact-io.js'
import type { PreparedStep } from './step-cache.js'
import { StepLog, withStepLog } from './step-logs.js'
import { outputValues } from './step-outputs.js'
import { stepRunIdOf } from './step-run-id.js'
import { describeError, type StepRunnerHost } from './step-runner-host.js'

/**
 * How long a step runs before its start is committed on its own. Shorter steps commit their start with
 * their outcome, in one transaction: a step's first commit is most of what it costs the framework.
 */
const START_COMMIT_MS = 50

async function runHook(log: StepLog, name: string, hook: () => void | Promise<void>): Promise<void> {
  try {
    await withStepLog(log, async () => hook())
  } catch (error) {
    log.append('error', `${name} hook failed: ${describeError(error)}`)
  }
}

/** One step being run: its log, its recorder, its experiment tracker run, its attempts. */
export class StepExecution {
  readonly host: StepRunnerHost
  readonly step: StepSnapshot
  readonly signal: AbortSignal
  readonly log: StepLog
  readonly recorder: RunRecorder
  readonly redact: (text: string) => string
  /** Set once the step's definition is found (hooks need it). */
  definition: StepDefinition | undefined
  #attempts: number
  /** The only attempt this process makes, when the orchestrator owns retries. */
  readonly #onlyAttempt: number | undefined
  #tracking: StepTracking | undefined
  /** Folders inputs were downloaded to (files and directories from a remote store): removed at the end. */
  readonly #downloads: string[] = []
  /** Commits the step's start if it is still running by then (see {@link START_COMMIT_MS}). */
  #startCommit: NodeJS.Timeout | undefined

  constructor(
    host: StepRunnerHost,
    step: StepSnapshot,
    signal: AbortSignal,
    onlyAttempt: number | undefined,
  ) {
    this.host = host
    this.step = step
    this.signal = signal
    this.redact = host.redact ?? ((text: string) => text)
    // Errors and metadata can carry a secret (a step logging its token): masked before store or journal.
    this.recorder = host.redact ? redactingRecorder(host.recorder, host.redact) : host.recorder
    this.log = new StepLog(step.id, host.echo ? (line) => host.echo?.(this.redact(line)) : undefined)
    this.#onlyAttempt = onlyAttempt
    this.#attempts = onlyAttempt === undefined ? 0 : onlyAttempt - 1
  }

  get #hookContext(): HookContext {
    const { snapshot } = this.host
    return {
      pipelineName: snapshot.pipeline.name,
      runId: snapshot.runId,
      runName: snapshot.runName,
      stepName: this.step.id,
    }
  }

  /** Loads the inputs, starts the tracker run, then makes the attempts the retry policy allows. */
  async attempts(prepared: PreparedStep): Promise<StepOutcome> {
    const { host, step } = this
    const definition = prepared.definition
    const inputValues: Record<string, unknown> = {}
    for (const [name, version] of Object.entries(prepared.inputs)) {
      const materializer = materializerById(
        version.materializer,
        prepared.custom,
        `input '${name}' of step '${step.id}'`,
      )
      inputValues[name] = await loadArtifact(host.store, version, materializer, this.#downloads)
    }
    this.recorder.record({ type: 'inputs_used', id: randomUUID(), step: step.id, inputs: prepared.inputIds })
    if (step.experimentTracker) this.#tracking = await this.#startTracking()
    const model = this.#modelContext(prepared)
    for (;;) {
      this.#attempts++
      if (this.#attempts === 1 || this.#onlyAttempt !== undefined) await this.#recordStart(prepared)
      try {
        const context = createStepContext({
          snapshot: host.snapshot,
          stepId: step.id,
          params: step.parameters,
          attempt: this.#attempts,
          logger: this.log.logger(),
          signal: this.signal,
          recorder: this.recorder,
          tracking: this.#tracking,
          model,
        })
        const result = await withStepLog(this.log, () => definition.fn(inputValues, context))
        this.signal.throwIfAborted()
        await this.#saveOutputs(definition, result, prepared)
        return await this.finish({ status: 'completed' })
      } catch (error) {
        this.log.append('error', error instanceof Error && error.stack ? error.stack : describeError(error))
        if (this.signal.aborted)
          return this.finish(
            {
              status: 'stopped',
              error: this.redact(`stopped: ${describeError(this.signal.reason ?? error)}`),
            },
            error,
          )
        if (this.#attempts > step.retry.maxRetries)
          return this.finish({ status: 'failed', error: this.redact(describeError(error)) }, error)
        const retried = await this.#retry(error)
        if (retried) return retried
      }
    }
  }

  /**
   * After a failed attempt with attempts left: records `retrying`; waits the policy's delay before the next
   * attempt here, or ends this process's only attempt (the orchestrator starts the next).
   */
  async #retry(error: unknown): Promise<StepOutcome | undefined> {
    const { retry } = this.step
    const wait = retry.delay * retry.backoff ** (this.#attempts - 1)
    this.recorder.record({
      type: 'step_retrying',
      id: randomUUID(),
      step: this.step.id,
      attempt: this.#attempts + 1,
      error: this.redact(describeError(error)),
      at: new Date().toISOString(),
    })
    if (this.#onlyAttempt !== undefined) {
      // The delay is the next process's to wait (step-process.ts), before its attempt.
      this.log.append(
        'warn',
        `attempt ${this.#attempts} failed; retrying in ${wait} ms (the orchestrator starts the next attempt)`,
      )
      await this.#endTracking({ status: 'failed' })
      await this.#storeLog()
      await this.recorder.flush()
      await this.#removeDownloads()
      return { status: 'failed', error: this.redact(describeError(error)) }
    }
    await this.recorder.flush()
    this.log.append('warn', `attempt ${this.#attempts} failed; retrying in ${wait} ms`)
    try {
      await sleep(wait, undefined, { signal: this.signal })
      return undefined
    } catch {
      return this.finish({ status: 'stopped', error: 'stopped while waiting to retry' }, error)
    }
  }

  async #recordStart(prepared: PreparedStep): Promise<void> {
    this.recorder.record({
      type: 'step_started',
      id: randomUUID(),
      step: this.step.id,
      stepName: this.step.step,
      attempt: this.#attempts,
      at: new Date().toISOString(),
      ...(this.step.cache.enabled ? { cacheKey: prepared.key } : {}),
      cacheParts: prepared.parts as unknown as JsonObject,
    })
    // Committed with the step's outcome, or once the step has run START_COMMIT_MS (a longer step then shows
    // as running): a short step costs one commit (or journal write), not two.
    clearTimeout(this.#startCommit)
    this.#startCommit = setTimeout(() => void this.recorder.flush().catch(() => {}), START_COMMIT_MS)
    this.#startCommit.unref()
  }

  async #saveOutputs(definition: StepDefinition, result: unknown, prepared: PreparedStep): Promise<void> {
    const { step } = this
    const values = outputValues(step, definition, result)
    for (const [output, spec] of Object.entries(step.outputs)) {
      const where = `output '${output}' of step '${step.id}'`
      const materializer = selectMaterializer(values[output], {
        explicit: spec.materializer,
        custom: prepared.custom,
        where,
      })
      const artifact = await saveArtifact(this.host.store, values[output], materializer, {
        name: spec.artifactName,
        kind: spec.kind,
      })
      this.recorder.record({
        type: 'artifact_saved',
        id: randomUUID(),
        step: step.id,
        output,
        artifact,
        ...(step.model ? { modelVersionId: step.model.versionId } : {}),
      })
    }
  }

  async #startTracking(): Promise<StepTracking> {
    const { host, step } = this
    const { snapshot } = host
    const trackerFlavor = snapshot.stack.components.experiment_tracker?.flavor
    const settings = trackerFlavor
      ? (step.settings[`experiment_tracker.${trackerFlavor}`] as JsonObject | undefined)
      : undefined
    const tracker = await host.experimentTracker?.()
    if (!tracker) {
      throw new StrataError(
        'NO_EXPERIMENT_TRACKER',
        `step '${step.id}' asks for an experiment tracker, but stack '${snapshot.stack.name}' has none — add one with 'strata stack update ${snapshot.stack.name} -e NAME'`,
      )
    }
    return tracker.startStep({
      pipelineName: snapshot.pipeline.name,
      runId: snapshot.runId,
      runName: snapshot.runName,
      stepName: step.id,
      stepRunId: stepRunIdOf(snapshot.runId, step.id),
      ...(snapshot.experimentTrackerState === undefined
        ? {}
        : { pipelineState: snapshot.experimentTrackerState }),
      ...(settings ? { settings } : {}),
    })
  }

  #modelContext(prepared: PreparedStep): StepModelContext | undefined {
    const { host, step } = this
    const resolved = step.model
    if (!resolved) return undefined
    return createModelContext({
      model: resolved,
      stepId: step.id,
      recorder: this.recorder,
      artifacts: async () => (await host.modelArtifacts?.(resolved.versionId)) ?? resolved.artifacts,
      load: async (version) =>
        loadArtifact(
          host.store,
          version,
          materializerById(version.materializer, prepared.custom, `model artifact ${version.name}`),
          this.#downloads,
        ),
    })
  }

  /** Ends the tracker run; a tracker that fails turns a completed step into a failed one. */
  async #endTracking(outcome: StepOutcome): Promise<StepOutcome> {
    if (!this.#tracking) return outcome
    try {
      const metadata = await this.#tracking.end(outcome.status === 'completed' ? 'completed' : 'failed')
      if (Object.keys(metadata).length > 0) {
        this.recorder.record({
          type: 'metadata',
          id: randomUUID(),
          step: this.step.id,
          values: { experiment_tracker: metadata } as JsonObject,
        })
      }
      return outcome
    } catch (trackerError) {
      this.log.append('error', `experiment tracker: ${describeError(trackerError)}`)
      if (outcome.status !== 'completed') return outcome
      return {
        status: 'failed',
        error: this.redact(`experiment tracker failed: ${describeError(trackerError)}`),
      }
    } finally {
      this.#tracking = undefined
    }
  }

  /** Writes the step's log (after what earlier attempts in other processes wrote); its key, or undefined. */
  async #storeLog(): Promise<string | undefined> {
    const { store, snapshot } = this.host
    const key = runKeys.stepLogs(snapshot.runId, this.step.id)
    let text = this.redact(this.log.text())
    if (text === '') return undefined
    try {
      if (this.#onlyAttempt !== undefined && this.#onlyAttempt > 1 && (await store.exists(key)))
        text = (await store.readText(key)) + text
      await store.write(key, text)
      return key
    } catch {
      return undefined
    }
  }

  /** Ends the step: its tracker run, its hook (once), its log, and its final record. */
  async finish(result: StepOutcome, error?: unknown): Promise<StepOutcome> {
    const outcome = await this.#endTracking(result)
    const { onSuccess, onFailure } = this.definition?.config ?? {}
    if (outcome.status === 'completed' && onSuccess)
      await runHook(this.log, 'onSuccess', () => onSuccess(this.#hookContext))
    if ((outcome.status === 'failed' || outcome.status === 'stopped') && onFailure) {
      const failure = error instanceof Error ? error : new Error(outcome.error)
      await runHook(this.log, 'onFailure', () => onFailure(failure, this.#hookContext))
    }
    const logKey = await this.#storeLog()
    const at = new Date().toISOString()
    const attempts = this.#attempts
    if (outcome.status === 'completed') {
      this.recorder.record({
        type: 'step_completed',
        id: randomUUID(),
        step: this.step.id,
        attempts,
        at,
        ...(logKey ? { logKey } : {}),
      })
    } else if (outcome.status !== 'cached') {
      this.recorder.record({
        type: 'step_failed',
        id: randomUUID(),
        step: this.step.id,
        status: outcome.status === 'stopped' ? 'stopped' : 'failed',
        attempts,
        error: outcome.error ?? 'failed',
        at,
        ...(logKey ? { logKey } : {}),
      })
    }
    clearTimeout(this.#startCommit)
    await this.recorder.flush()
    await this.#removeDownloads()
    return outcome
  }

  async #removeDownloads(): Promise<void> {
    for (const directory of this.#downloads.splice(0))
      await rm(directory, { recursive: true, force: true }).catch(() => {})
  }
}
