import { randomUUID } from 'node:crypto'
import type {
  ArtifactStoreHost,
  Logger,
  OrchestratorDriveContext,
  PipelineSnapshot,
  StepOutcome,
} from '@strata/core'
import { journalOutcome, readJournal, writeJournalEvents } from '../recording/journal.js'
import type { RunEvent } from '../recording/run-events.js'
import { type RemotePlan, remoteKeys } from './remote-plan.js'
import { prepareRemoteStep } from './remote-step.js'

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
  const record = (stepId: string, events: RunEvent[]) =>
    writeJournalEvents(store, runId, stepId, events, 'driver')

  return {
    logger: options.logger,
    signal: options.signal,
    cached: new Set(Object.keys(plan.cached)),
    stepArgs: options.stepArgs,
    prepareStep: (stepId) =>
      prepareRemoteStep({
        store,
        snapshot,
        plan,
        stepId,
        writer: 'driver',
        say: (line) => options.logger.info(line),
      }),
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
