import type { StepRunState } from '@strata/core'
import type { RunStatus } from '@strata/store'

/** A run's error when steps failed: which, where their logs are, and how to finish the run. */
export function failedStepsError(runName: string, failedSteps: readonly string[]): string {
  return `step${failedSteps.length > 1 ? 's' : ''} ${failedSteps.join(', ')} failed — see 'strata pipeline runs logs ${runName} --step ${failedSteps[0]}', fix it, then 'strata pipeline runs resume ${runName}'`
}

/** A run's status from its steps' states: failed beats stopped beats completed. */
export function runStatusOf(
  states: Record<string, StepRunState>,
  failed: boolean,
  stopped: boolean,
): RunStatus {
  const values = Object.values(states)
  if (failed || values.includes('failed')) return 'failed'
  if (stopped || values.includes('stopped')) return 'stopped'
  return values.every((state) => state === 'completed' || state === 'cached') ? 'completed' : 'failed'
}

/** The error a run ends with: the failure outside its steps, else the failed steps, else a stop. */
export function runErrorOf(
  runName: string,
  status: RunStatus,
  states: Record<string, StepRunState>,
  failure: string | undefined,
): string | undefined {
  if (failure) return failure
  const failedSteps = Object.entries(states)
    .filter(([, state]) => state === 'failed')
    .map(([id]) => id)
  if (failedSteps.length > 0) return failedStepsError(runName, failedSteps)
  return status === 'stopped' ? 'stopped by the user' : undefined
}
