/** A run's error when steps failed: which, where their logs are, and how to finish the run. */
export function failedStepsError(runName: string, failedSteps: readonly string[]): string {
  return `step${failedSteps.length > 1 ? 's' : ''} ${failedSteps.join(', ')} failed — see 'strata pipeline runs logs ${runName} --step ${failedSteps[0]}', fix it, then 'strata pipeline runs resume ${runName}'`
}
