import { errorMessage, type StepOutcome } from '@strata/core'
import { prepareStep } from './step-cache.js'
import { StepExecution } from './step-execution.js'
import { describeError, type StepRunnerHost } from './step-runner-host.js'

export { resolveFromCache, stepCacheParts } from './step-cache.js'
export type { StepRunnerHost } from './step-runner-host.js'

/** How a step's attempts are counted. */
export interface RunStepOptions {
  /**
   * Make exactly this attempt and return (a pod of a Kubernetes Job): the orchestrator owns retries. A
   * failure with attempts left is recorded as `retrying`, not `failed`, and the next attempt starts anew.
   * @default all attempts in this process, as the step's retry policy says
   */
  attempt?: number
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
  options: RunStepOptions = {},
): Promise<StepOutcome> {
  const step = host.snapshot.steps.find((candidate) => candidate.id === stepId)
  if (!step) return { status: 'failed', error: `no step '${stepId}' in run ${host.snapshot.runName}` }
  const execution = new StepExecution(host, step, signal, options.attempt)
  try {
    const prepared = await prepareStep(host, step)
    execution.definition = prepared.definition
    if (prepared.cached) return { status: 'cached' }
    return await execution.attempts(prepared)
  } catch (error) {
    execution.log.append('error', describeError(error))
    return execution.finish({ status: 'failed', error: execution.redact(errorMessage(error)) }, error)
  }
}
