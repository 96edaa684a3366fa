import type { OrchestratorRunResult, PipelineTracking } from '@strata/core'
import type { RunStatus } from '@strata/store'
import { runErrorOf, runStatusOf } from './run-outcome.js'
import { reportStep } from './run-progress.js'
import type { PipelineRun } from './run-result.js'
import type { RunSession } from './run-session.js'

export interface FinishRunOptions {
  session: RunSession
  result: OrchestratorRunResult
  /** Why the run failed outside its steps (the orchestrator threw), secrets masked. */
  failure: string | undefined
  tracking: PipelineTracking | undefined
  /** The run's signal was aborted (Ctrl-C, SIGTERM, `runs stop`). */
  stopped: boolean
}

/**
 * Ends a run: records skipped steps and its status, ends its experiment tracker run, runs the pipeline's
 * hooks and reports the outcome. A run its remote orchestrator carries on (`detached`) stays active: it
 * ends when `runs sync` reads the end its driver records.
 */
export async function finishRun(options: FinishRunOptions): Promise<PipelineRun> {
  const { session, result } = options
  const { snapshot, say } = session
  const { runs } = session.environment.repositories
  const base = { id: session.runId, name: snapshot.runName, pipelineName: snapshot.pipeline.name }
  if (result.detached && options.failure === undefined) {
    say?.(result.detached.message)
    await session.close()
    return { ...base, status: 'running', steps: result.steps }
  }
  const states = result.steps
  const failure = options.failure ?? (result.error ? session.redact(result.error) : undefined)
  const status = runStatusOf(states, failure !== undefined, options.stopped || result.stopped === true)
  const error = runErrorOf(snapshot.runName, status, states, failure)
  for (const [stepId, state] of Object.entries(states)) {
    if (state === 'skipped')
      await runs.upsertStepRun(session.runId, stepId, { step: session.step(stepId).step, status: 'skipped' })
    if (state === 'skipped' || state === 'not_started') reportStep(say, { step: stepId, state })
  }
  await runs.setStatus(session.runId, status, { ended: true, ...(error ? { error } : {}) })
  await options.tracking?.end(status === 'completed' ? 'completed' : 'failed').catch(() => {})
  await runHooks(session, status, error)
  await session.close()
  say?.(`run ${snapshot.runName}: ${status}${error ? ` — ${error}` : ''}`, {
    type: 'run_finished',
    runName: snapshot.runName,
    status,
    ...(error ? { error } : {}),
  })
  return { ...base, status, steps: states, ...(error ? { error } : {}) }
}

/** The pipeline's onSuccess or onFailure hook, once; a hook that fails is reported, not fatal. */
async function runHooks(session: RunSession, status: RunStatus, error: string | undefined): Promise<void> {
  const { snapshot } = session
  const context = { pipelineName: snapshot.pipeline.name, runId: session.runId, runName: snapshot.runName }
  const { onSuccess, onFailure } = session.pipeline.config
  try {
    if (status === 'completed') await onSuccess?.(context)
    else await onFailure?.(new Error(error ?? status), context)
  } catch (hookError) {
    session.say?.(
      session.redact(
        `pipeline ${status === 'completed' ? 'onSuccess' : 'onFailure'} hook failed: ${(hookError as Error).message}`,
      ),
    )
  }
}
