import type { StepRunState } from '@strata/core'
import type { RunStatus } from '@strata/store'

/** The outcome of `pipeline.run()`. */
export interface PipelineRun {
  id: string
  name: string
  pipelineName: string
  /**
   * `running` when a remote orchestrator carries the run on without this process (not synchronous, or
   * detached); `scheduled` when the run config has a `schedule` (the id and name are the schedule's);
   * `skipped` only inside a step process, where `run()` does nothing.
   */
  status: RunStatus | 'skipped' | 'scheduled'
  steps: Record<string, StepRunState>
  error?: string
}
