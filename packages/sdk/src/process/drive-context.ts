import { randomUUID } from 'node:crypto'
import {
  type ArtifactStoreHost,
  type ArtifactVersionInfo,
  type Logger,
  type OrchestratorDriveContext,
  type PipelineSnapshot,
  type StepOutcome,
  StrataError,
} from '@strata/core'
import { cacheKey } from '../cache/cache-key.js'
import { journalOutcome, readJournal, runKeys, writeJournalEvents } from '../recording/journal.js'
import type { RunEvent } from '../recording/run-events.js'
import { type RemotePlan, remoteKeys } from './remote-plan.js'

/** The outputs a finished step recorded: saved artifacts, or the ones a cache hit reused. */
function journalOutputs(events: readonly RunEvent[]): Record<string, ArtifactVersionInfo> {
  const outputs: Record<string, ArtifactVersionInfo> = {}
  for (const event of events) {
    if (event.type === 'artifact_saved') outputs[event.output] = event.artifact
    if (event.type === 'step_cached') Object.assign(outputs, event.outputArtifacts ?? {})
  }
  return outputs
}

export interface DriveContextOptions {
  store: ArtifactStoreHost
  snapshot: PipelineSnapshot
  plan: RemotePlan
  logger: Logger
  signal: AbortSignal
  stepArgs(stepId: string): string[]
}

/**
 * The runtime's side of {@link OrchestratorDriveContext}, for a driver with no metadata store: a step's
 * inputs come from its upstream steps' journals, cache hits from the plan the client staged, outcomes
 * from the journals; what the driver records goes into the same journals.
 */
export function createDriveContext(options: DriveContextOptions): OrchestratorDriveContext {
  const { store, snapshot, plan } = options
  const runId = snapshot.runId
  const stepOf = (stepId: string) => {
    const step = snapshot.steps.find((candidate) => candidate.id === stepId)
    if (!step) throw new StrataError('UNKNOWN_STEP', `run ${snapshot.runName} has no step '${stepId}'`)
    return step
  }
  const outputsOf = async (stepId: string): Promise<Record<string, ArtifactVersionInfo>> =>
    plan.cached[stepId]?.outputs ?? journalOutputs(await readJournal(store, runId, stepId))

  const inputsOf = async (stepId: string): Promise<Record<string, ArtifactVersionInfo>> => {
    const inputs: Record<string, ArtifactVersionInfo> = {}
    for (const [name, source] of Object.entries(stepOf(stepId).inputs)) {
      const version =
        source.kind === 'artifact'
          ? plan.artifacts[source.artifactVersionId]
          : (await outputsOf(source.step))[source.output]
      if (!version) {
        const what =
          source.kind === 'artifact'
            ? `artifact ${source.name}`
            : `output '${source.output}' of '${source.step}'`
        throw new StrataError(
          'MISSING_INPUT',
          `step '${stepId}': its input '${name}' (${what}) was never produced`,
        )
      }
      inputs[name] = version
    }
    return inputs
  }

  const record = (stepId: string, events: RunEvent[]) =>
    writeJournalEvents(store, runId, stepId, events, 'driver')

  return {
    logger: options.logger,
    signal: options.signal,
    cached: new Set(Object.keys(plan.cached)),
    stepArgs: options.stepArgs,
    async prepareStep(stepId) {
      const step = stepOf(stepId)
      const inputs = await inputsOf(stepId)
      const partial = plan.cacheParts[stepId]
      if (step.cache.enabled && partial) {
        const parts = {
          ...partial,
          inputs: Object.fromEntries(Object.entries(inputs).map(([name, version]) => [name, version.digest])),
        }
        const key = cacheKey(parts)
        const hit = plan.cacheIndex[key]
        if (hit && Object.keys(step.outputs).every((output) => hit.outputs[output] !== undefined)) {
          await record(stepId, [
            {
              type: 'step_cached',
              id: randomUUID(),
              step: stepId,
              stepName: step.step,
              at: new Date().toISOString(),
              cacheKey: key,
              cacheParts: parts as never,
              cachedFrom: hit.stepRunId,
              inputs: Object.fromEntries(Object.entries(inputs).map(([name, version]) => [name, version.id])),
              outputs: Object.fromEntries(
                Object.entries(hit.outputs).map(([name, version]) => [name, version.id]),
              ),
              outputArtifacts: hit.outputs,
              ...(step.model ? { modelVersionId: step.model.versionId } : {}),
            },
          ])
          return { status: 'cached' }
        }
      }
      await store.write(runKeys.stepInputs(runId, stepId), JSON.stringify(inputs))
      return undefined
    },
    async stepOutcome(stepId) {
      return journalOutcome(await readJournal(store, runId, stepId))
    },
    async failStep(stepId, outcome) {
      await record(stepId, [
        {
          type: 'step_failed',
          id: randomUUID(),
          step: stepId,
          status: outcome.status === 'stopped' ? 'stopped' : 'failed',
          attempts: 0,
          error: outcome.error ?? outcome.status,
          at: new Date().toISOString(),
        },
      ])
    },
    async earlierOutcomes() {
      const outcomes: Record<string, StepOutcome> = {}
      for (const step of snapshot.steps) {
        if (plan.cached[step.id]) continue
        const outcome = journalOutcome(await readJournal(store, runId, step.id))
        if (outcome) outcomes[step.id] = outcome
      }
      return outcomes
    },
    async recordHandle(handle) {
      await store.write(remoteKeys.handle(runId), JSON.stringify(handle))
    },
    async finish(result) {
      await store.write(remoteKeys.result(runId), JSON.stringify(result))
    },
  }
}
