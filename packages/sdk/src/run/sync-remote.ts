import { setTimeout as sleep } from 'node:timers/promises'
import type { JsonObject, OrchestratorRunResult, PipelineSnapshot, StepRunState } from '@strata/core'
import type { RunRecord } from '@strata/store'
import { readRemoteResult } from '../process/remote-plan.js'
import { JournalFollower } from '../recording/journal.js'
import { applyRunEvents } from '../recording/store-recorder.js'
import type { RunEnvironment } from './run-environment.js'
import { runErrorOf, runStatusOf } from './run-outcome.js'
import { type RunOutput, reportStep } from './run-progress.js'

export interface SyncRemoteOptions {
  /** Keep following until the run ends, reporting step states. */
  follow?: boolean
  output?: RunOutput
  signal?: AbortSignal
  /** How long to wait between two looks when following. @default 2000 */
  intervalMs?: number
}

const FINAL = new Set(['completed', 'cached', 'failed', 'stopped', 'skipped'])

/**
 * Brings a run that a remote orchestrator carries up to date: ingests its journals (idempotent), and
 * settles it from the end its driver recorded — or, when the orchestrator says the run is gone without
 * one, fails it with the reason. With `follow`, keeps at it until the run ends (or `signal` aborts).
 * @returns the number of events read
 */
export async function syncRemoteRun(
  environment: RunEnvironment,
  run: RunRecord,
  snapshot: PipelineSnapshot,
  options: SyncRemoteOptions = {},
): Promise<number> {
  const { repositories, artifactStore } = environment
  const follower = new JournalFollower(artifactStore, run.id)
  const reported = new Map<string, string>()
  let events = 0
  for (;;) {
    const written = await follower.poll()
    const fresh = [...written.values()].flat()
    events += fresh.length
    await applyRunEvents(repositories, run.id, fresh)
    if (options.output) {
      for (const step of await repositories.runs.stepRuns(run.id)) {
        if (reported.get(step.name) === step.status) continue
        reported.set(step.name, step.status)
        reportStep(options.output, {
          step: step.name,
          state: step.status === 'initializing' ? 'running' : step.status,
          ...(step.error && FINAL.has(step.status) ? { error: step.error } : {}),
        })
      }
    }
    const remote = run.remote
    const state = remote ? await environment.orchestrator.status?.(remote.handle as JsonObject) : undefined
    // The driver's recorded end; else, for an orchestrator that ran the DAG itself (no driver), the steps'.
    const result =
      (await readRemoteResult(artifactStore, run.id)) ??
      (state?.state === 'ended' ? await endFromSteps(environment, run, snapshot) : undefined)
    if (result) {
      const states: Record<string, StepRunState> = {}
      for (const step of snapshot.steps) states[step.id] = result.steps[step.id] ?? 'not_started'
      const status = runStatusOf(states, result.error !== undefined, result.stopped === true)
      const error = runErrorOf(run.name, status, states, result.error)
      for (const [stepId, stepState] of Object.entries(states)) {
        if (stepState === 'skipped') {
          const step = snapshot.steps.find((candidate) => candidate.id === stepId)
          await repositories.runs.upsertStepRun(run.id, stepId, {
            step: step?.step ?? stepId,
            status: 'skipped',
          })
        }
      }
      await repositories.runs.settle(run.id, status, { error: error ?? null })
      options.output?.(`run ${run.name}: ${status}${error ? ` — ${error}` : ''}`)
      return events
    }
    if (state?.state === 'lost') {
      const error = `the run is gone: ${state.reason} — start it again, or resume it with 'strata pipeline runs resume ${run.name}'`
      await repositories.runs.setStatus(run.id, 'failed', { ended: true, error })
      options.output?.(`run ${run.name}: failed — ${error}`)
      return events
    }
    if (!options.follow || options.signal?.aborted) return events
    await sleep(
      options.intervalMs ?? 2000,
      undefined,
      options.signal ? { signal: options.signal } : undefined,
    ).catch(() => {})
    if (options.signal?.aborted) return events
  }
}

/** A run's end read from its steps' records, for an orchestrator whose run ended without a driver's result. */
async function endFromSteps(
  environment: RunEnvironment,
  run: RunRecord,
  snapshot: PipelineSnapshot,
): Promise<OrchestratorRunResult> {
  const rows = new Map(
    (await environment.repositories.runs.stepRuns(run.id)).map((step) => [step.name, step]),
  )
  const steps: Record<string, StepRunState> = {}
  for (const step of snapshot.steps) {
    const status = rows.get(step.id)?.status
    steps[step.id] =
      status === 'completed' ||
      status === 'cached' ||
      status === 'failed' ||
      status === 'stopped' ||
      status === 'skipped'
        ? status
        : status === undefined
          ? 'not_started'
          : 'failed'
  }
  return { steps }
}
