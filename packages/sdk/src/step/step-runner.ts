import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  type ArtifactStoreHost,
  type ExperimentTrackerV1,
  errorMessage,
  isStrataError,
  type JsonObject,
  type PipelineSnapshot,
  type StepOutcome,
  type StepSnapshot,
  type StepTracking,
  StrataError,
} from '@strata/core'
import { type CacheParts, cacheKey } from '../cache/cache-key.js'
import type { HookContext, StepDefinition } from '../dsl/step.js'
import type { Materializer } from '../materializers/materializer.js'
import {
  materializerById,
  materializerCacheKey,
  selectMaterializer,
} from '../materializers/select-materializer.js'
import { runKeys } from '../recording/journal.js'
import type { RunRecorder } from '../recording/run-events.js'
import { redactingRecorder } from '../run/run-secrets.js'
import { createModelContext, createStepContext } from '../runtime/step-context.js'
import { type ArtifactVersionInfo, loadArtifact, saveArtifact } from './artifact-io.js'
import { StepLog, withStepLog } from './step-logs.js'
import { stepRunIdOf } from './step-run-id.js'

/** What the step runner needs from whoever hosts it (the client in-process, or a step process). */
export interface StepRunnerHost {
  snapshot: PipelineSnapshot
  store: ArtifactStoreHost
  recorder: RunRecorder
  /** The step's definition (function, hooks, materializers). */
  definition(stepId: string): StepDefinition
  /** The artifact versions feeding the step's inputs. */
  inputs(stepId: string): Promise<Record<string, ArtifactVersionInfo>>
  /** A completed earlier execution with this cache key; absent where the metadata store is out of reach. */
  findCached?(cacheKey: string): Promise<{ stepRunId: string; outputs: Record<string, string> } | undefined>
  /** Pipeline-level materializers. */
  materializers: readonly Materializer[]
  /** The stack's experiment tracker, created on first use. */
  experimentTracker?(): Promise<ExperimentTrackerV1 | undefined>
  /**
   * The artifacts linked to a model version now (in-process, from the store). Without it, steps see the
   * artifacts linked when the run started (from the snapshot).
   */
  modelArtifacts?(versionId: string): Promise<Record<string, ArtifactVersionInfo>>
  /** Echo step log lines to the terminal. */
  echo?: (line: string) => void
  /** Replaces secret values in messages and logs. */
  redact?: (text: string) => string
}

/**
 * A step's error as it is recorded: the message, which says what failed. A built-in class name says
 * something too (`TypeError: x is not a function`) and stays; `StrataError` (and `Error`) would only be
 * noise in front of a message that already names the problem and its fix.
 */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  if (isStrataError(error) || !error.name || error.name === 'Error' || error.name === 'StrataError')
    return error.message
  return `${error.name}: ${error.message}`
}

/** The cache key parts of a step given its resolved inputs and the custom materializers it may use. */
export function stepCacheParts(
  snapshot: PipelineSnapshot,
  step: StepSnapshot,
  inputs: Record<string, ArtifactVersionInfo>,
  artifactStoreUri: string,
  custom: readonly Materializer[],
): CacheParts {
  const module = snapshot.code.modules[step.source.module]
  return {
    step: step.step,
    code: step.codeFingerprint,
    files: module?.files ?? {},
    packages: module?.packages ?? {},
    parameters: step.parameters,
    inputs: Object.fromEntries(Object.entries(inputs).map(([name, version]) => [name, version.digest])),
    outputs: Object.fromEntries(
      Object.entries(step.outputs).map(([name, output]) => [
        name,
        materializerCacheKey(output.materializer, custom, `output '${name}' of step '${step.id}'`),
      ]),
    ),
    artifactStore: artifactStoreUri,
    env: step.env,
    secrets: step.secrets,
    cacheVersion: step.cache.version ?? null,
  }
}

function outputValues(
  step: StepSnapshot,
  definition: StepDefinition,
  result: unknown,
): Record<string, unknown> {
  const names = Object.keys(step.outputs)
  const where = `step '${step.id}'`
  if (definition.outputs === undefined) {
    if (result === undefined) {
      throw new StrataError(
        'MISSING_OUTPUT',
        `${where} returned nothing — return its output, or declare outputs: [] for a step without outputs`,
      )
    }
    return { output: result }
  }
  if (names.length === 0) return {}
  if (typeof result !== 'object' || result === null || Array.isArray(result)) {
    throw new StrataError(
      'MISSING_OUTPUT',
      `${where} must return an object with its outputs ${names.join(', ')}`,
    )
  }
  const values = result as Record<string, unknown>
  for (const name of names) {
    if (values[name] === undefined) {
      throw new StrataError(
        'MISSING_OUTPUT',
        `${where} returned no output '${name}' — return { ${names.join(', ')} }`,
      )
    }
  }
  for (const key of Object.keys(values)) {
    if (!names.includes(key)) {
      throw new StrataError(
        'UNKNOWN_OUTPUT',
        `${where} returned '${key}', which is not one of its outputs (${names.join(', ')}) — declare it in outputs`,
      )
    }
  }
  return values
}

async function runHook(log: StepLog, name: string, hook: () => void | Promise<void>): Promise<void> {
  try {
    await withStepLog(log, async () => hook())
  } catch (error) {
    log.append('error', `${name} hook failed: ${describeError(error)}`)
  }
}

interface PreparedStep {
  definition: StepDefinition
  custom: Materializer[]
  inputs: Record<string, ArtifactVersionInfo>
  parts: CacheParts
  key: string
  inputIds: Record<string, string>
  cached: boolean
}

/** Resolves a step's inputs and cache key, and records it as cached when an identical execution exists. */
async function prepareStep(host: StepRunnerHost, step: StepSnapshot): Promise<PreparedStep> {
  const { snapshot, store, recorder } = host
  const definition = host.definition(step.id)
  const custom = [...(definition.config.materializers ?? []), ...host.materializers]
  const inputs = await host.inputs(step.id)
  for (const [name, version] of Object.entries(inputs)) {
    if (version.artifactStoreUri !== store.uri) {
      throw new StrataError(
        'ARTIFACT_IN_OTHER_STORE',
        `input '${name}' of step '${step.id}' (artifact ${version.name}) lives in artifact store ${version.artifactStoreUri}, but this stack's store is ${store.uri} — run on the stack that produced it`,
      )
    }
  }
  const parts = stepCacheParts(snapshot, step, inputs, store.uri, custom)
  const key = cacheKey(parts)
  const inputIds = Object.fromEntries(Object.entries(inputs).map(([name, version]) => [name, version.id]))
  const hit = step.cache.enabled && host.findCached ? await host.findCached(key) : undefined
  if (hit && Object.keys(step.outputs).every((output) => hit.outputs[output] !== undefined)) {
    recorder.record({
      type: 'step_cached',
      id: randomUUID(),
      step: step.id,
      stepName: step.step,
      at: new Date().toISOString(),
      cacheKey: key,
      cacheParts: parts as unknown as JsonObject,
      cachedFrom: hit.stepRunId,
      inputs: inputIds,
      outputs: hit.outputs,
      ...(step.model ? { modelVersionId: step.model.versionId } : {}),
    })
    await recorder.flush()
    return { definition, custom, inputs, parts, key, inputIds, cached: true }
  }
  return { definition, custom, inputs, parts, key, inputIds, cached: false }
}

/**
 * Resolves a step from the cache without running it: `true` when it was recorded as cached.
 * Used up front (before an orchestrator is called) and before starting a step process.
 */
export async function resolveFromCache(host: StepRunnerHost, stepId: string): Promise<boolean> {
  const step = host.snapshot.steps.find((candidate) => candidate.id === stepId)
  if (!step?.cache.enabled || !host.findCached) return false
  return (await prepareStep(host, step)).cached
}

/**
 * Runs one step, the same way for every orchestrator: resolves inputs, checks the cache, calls the function
 * with its context and retry policy, saves outputs under fresh prefixes, records everything through the
 * host's recorder, runs the step's hook once. Never throws: the outcome says how it ended.
 */
export async function runStep(
  host: StepRunnerHost,
  stepId: string,
  signal: AbortSignal,
): Promise<StepOutcome> {
  const { snapshot, store } = host
  const redact = host.redact ?? ((text: string) => text)
  // Errors and metadata can carry a secret (a step logging its token): masked before store or journal.
  const recorder = host.redact ? redactingRecorder(host.recorder, host.redact) : host.recorder
  const step = snapshot.steps.find((candidate) => candidate.id === stepId)
  if (!step) return { status: 'failed', error: `no step '${stepId}' in run ${snapshot.runName}` }
  const log = new StepLog(stepId, host.echo ? (line) => host.echo?.(redact(line)) : undefined)
  const logKey = runKeys.stepLogs(snapshot.runId, stepId)
  const hookContext: HookContext = {
    pipelineName: snapshot.pipeline.name,
    runId: snapshot.runId,
    runName: snapshot.runName,
    stepName: stepId,
  }
  let attempts = 0
  let tracking: StepTracking | undefined
  let definition: StepDefinition | undefined
  const finish = async (outcome: StepOutcome, error?: unknown): Promise<StepOutcome> => {
    if (tracking) {
      try {
        const metadata = await tracking.end(outcome.status === 'completed' ? 'completed' : 'failed')
        if (Object.keys(metadata).length > 0) {
          recorder.record({
            type: 'metadata',
            id: randomUUID(),
            step: stepId,
            values: { experiment_tracker: metadata } as JsonObject,
          })
        }
      } catch (trackerError) {
        log.append('error', `experiment tracker: ${describeError(trackerError)}`)
        if (outcome.status === 'completed') {
          outcome = {
            status: 'failed',
            error: redact(`experiment tracker failed: ${describeError(trackerError)}`),
          }
        }
      }
    }
    const { onSuccess, onFailure } = definition?.config ?? {}
    if (outcome.status === 'completed' && onSuccess)
      await runHook(log, 'onSuccess', () => onSuccess(hookContext))
    if ((outcome.status === 'failed' || outcome.status === 'stopped') && onFailure) {
      const failure = error instanceof Error ? error : new Error(outcome.error)
      await runHook(log, 'onFailure', () => onFailure(failure, hookContext))
    }
    const text = redact(log.text())
    let storedLog: string | undefined
    if (text !== '') {
      try {
        await store.write(logKey, text)
        storedLog = logKey
      } catch {}
    }
    const at = new Date().toISOString()
    if (outcome.status === 'completed') {
      recorder.record({
        type: 'step_completed',
        id: randomUUID(),
        step: stepId,
        attempts,
        at,
        ...(storedLog ? { logKey: storedLog } : {}),
      })
    } else if (outcome.status !== 'cached') {
      recorder.record({
        type: 'step_failed',
        id: randomUUID(),
        step: stepId,
        status: outcome.status === 'stopped' ? 'stopped' : 'failed',
        attempts,
        error: outcome.error ?? 'failed',
        at,
        ...(storedLog ? { logKey: storedLog } : {}),
      })
    }
    await recorder.flush()
    return outcome
  }

  try {
    const prepared = await prepareStep(host, step)
    definition = prepared.definition
    if (prepared.cached) return { status: 'cached' }
    const { inputs, parts, key, inputIds, custom } = prepared

    const inputValues: Record<string, unknown> = {}
    for (const [name, version] of Object.entries(inputs)) {
      const materializer = materializerById(
        version.materializer,
        custom,
        `input '${name}' of step '${stepId}'`,
      )
      inputValues[name] = await loadArtifact(store, version, materializer)
    }
    recorder.record({ type: 'inputs_used', id: randomUUID(), step: stepId, inputs: inputIds })

    if (step.experimentTracker) {
      const trackerFlavor = snapshot.stack.components.experiment_tracker?.flavor
      const trackerSettings = trackerFlavor
        ? (step.settings[`experiment_tracker.${trackerFlavor}`] as JsonObject | undefined)
        : undefined
      const tracker = await host.experimentTracker?.()
      if (!tracker) {
        throw new StrataError(
          'NO_EXPERIMENT_TRACKER',
          `step '${stepId}' asks for an experiment tracker, but stack '${snapshot.stack.name}' has none — add one with 'strata stack update ${snapshot.stack.name} -e NAME'`,
        )
      }
      tracking = await tracker.startStep({
        pipelineName: snapshot.pipeline.name,
        runId: snapshot.runId,
        runName: snapshot.runName,
        stepName: stepId,
        stepRunId: stepRunIdOf(snapshot.runId, stepId),
        ...(snapshot.experimentTrackerState === undefined
          ? {}
          : { pipelineState: snapshot.experimentTrackerState }),
        ...(trackerSettings ? { settings: trackerSettings } : {}),
      })
    }
    const model = step.model
      ? createModelContext({
          model: step.model,
          stepId,
          recorder,
          artifacts: async () =>
            (await host.modelArtifacts?.(step.model!.versionId)) ?? step.model!.artifacts,
          load: async (version) =>
            loadArtifact(
              store,
              version,
              materializerById(version.materializer, custom, `model artifact ${version.name}`),
            ),
        })
      : undefined

    for (;;) {
      attempts++
      const at = new Date().toISOString()
      if (attempts === 1) {
        recorder.record({
          type: 'step_started',
          id: randomUUID(),
          step: stepId,
          stepName: step.step,
          attempt: attempts,
          at,
          ...(step.cache.enabled ? { cacheKey: key } : {}),
          cacheParts: parts as unknown as JsonObject,
        })
        await recorder.flush()
      }
      try {
        const context = createStepContext({
          snapshot,
          stepId,
          params: step.parameters,
          attempt: attempts,
          logger: log.logger(),
          signal,
          recorder,
          tracking,
          model,
        })
        const fn = definition.fn
        const result = await withStepLog(log, () => fn(inputValues, context))
        signal.throwIfAborted()
        const values = outputValues(step, definition, result)
        for (const [output, spec] of Object.entries(step.outputs)) {
          const where = `output '${output}' of step '${stepId}'`
          const materializer = selectMaterializer(values[output], {
            explicit: spec.materializer,
            custom,
            where,
          })
          const artifact = await saveArtifact(store, values[output], materializer, {
            name: spec.artifactName,
            kind: spec.kind,
          })
          recorder.record({
            type: 'artifact_saved',
            id: randomUUID(),
            step: stepId,
            output,
            artifact,
            ...(step.model ? { modelVersionId: step.model.versionId } : {}),
          })
        }
        return await finish({ status: 'completed' })
      } catch (error) {
        log.append('error', error instanceof Error && error.stack ? error.stack : describeError(error))
        if (signal.aborted)
          return await finish(
            { status: 'stopped', error: redact(`stopped: ${describeError(signal.reason ?? error)}`) },
            error,
          )
        if (attempts <= step.retry.maxRetries) {
          const wait = step.retry.delay * step.retry.backoff ** (attempts - 1)
          recorder.record({
            type: 'step_retrying',
            id: randomUUID(),
            step: stepId,
            attempt: attempts + 1,
            error: redact(describeError(error)),
            at: new Date().toISOString(),
          })
          await recorder.flush()
          log.append('warn', `attempt ${attempts} failed; retrying in ${wait} ms`)
          try {
            await sleep(wait, undefined, { signal })
          } catch {
            return await finish({ status: 'stopped', error: 'stopped while waiting to retry' }, error)
          }
          continue
        }
        return await finish({ status: 'failed', error: redact(describeError(error)) }, error)
      }
    }
  } catch (error) {
    log.append('error', describeError(error))
    return finish({ status: 'failed', error: redact(errorMessage(error)) }, error)
  }
}
