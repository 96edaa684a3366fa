/**
 * The runtime's arguments that run one step as its own process or pod. `--one-attempt`: the orchestrator
 * owns retries (a Kubernetes Job's backoffLimit), so each process makes one attempt of the step.
 */
export function runtimeStepArgs(runUri: string, stepId: string): string[] {
  return ['step', 'run', '--run', runUri, '--step', stepId, '--one-attempt']
}

/** The runtime's arguments that drive a run (or a schedule's next run) in the remote environment. */
export function runtimeDriverArgs(uri: string, kind: 'run' | 'schedule'): string[] {
  return ['orchestrate', kind === 'run' ? '--run' : '--schedule', uri]
}
