import type { RunStatus, StepRunStatus } from '@strata/store'

/** A step's state as progress reports it: its step-run status, `pending` before it starts, or `not_started`. */
export type StepProgressState = Exclude<StepRunStatus, 'initializing'> | 'pending' | 'not_started'

/**
 * The structured state behind a progress line, handed to `output` next to the line itself, so that a
 * terminal can draw a live view while scripts and logs keep the plain lines.
 */
export type RunProgress =
  | {
      type: 'run_started'
      runName: string
      pipelineName: string
      stackName: string
      /** Every step in topological order, with its state now (`completed`/`cached` when resuming). */
      steps: Array<{ id: string; state: StepProgressState }>
      resumed: boolean
    }
  | {
      type: 'step'
      step: string
      state: StepProgressState
      /** The attempt that starts (`retrying`). */
      attempt?: number
      error?: string
      /** The step runs in its own process (its logs arrive with its outcome). */
      ownProcess?: boolean
    }
  | { type: 'run_finished'; runName: string; status: RunStatus; error?: string }

/**
 * Where a run prints: every line (plain, as scripts and logs see it), and for progress lines the
 * structured state behind it. Step log lines come without progress, prefixed `[step] `.
 */
export type RunOutput = (line: string, progress?: RunProgress) => void

/** The plain line for a step's state: `step train: failed — the error`. */
function stepLine(progress: Extract<RunProgress, { type: 'step' }>): string {
  const state =
    progress.state === 'running' && progress.ownProcess
      ? 'running (own process)'
      : progress.state === 'retrying' && progress.attempt !== undefined
        ? `retrying (attempt ${progress.attempt})`
        : progress.state
  return `step ${progress.step}: ${state}${progress.error ? ` — ${progress.error}` : ''}`
}

/** Reports a step's state: the plain line and its structure. */
export function reportStep(
  say: RunOutput | undefined,
  progress: Omit<Extract<RunProgress, { type: 'step' }>, 'type'>,
): void {
  if (!say) return
  const event = { type: 'step' as const, ...progress }
  say(stepLine(event), event)
}
