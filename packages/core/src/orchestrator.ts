import type { Logger } from './logger.js'
import type { PipelineSnapshot } from './snapshot.js'

export type StepFinalStatus = 'completed' | 'cached' | 'failed' | 'stopped'

export interface StepOutcome {
  status: StepFinalStatus
  /** The error message for `failed` (secrets already masked). */
  error?: string
}

/** How a step run as a separate process is started (`strata step run --run <uri> --step <id>`). */
export interface StepCommand {
  /** The executable: `process.execPath` locally, `node` in a container image. */
  command: string
  args: string[]
  /** Variables the step process needs (artifact store access, run URI); may carry resolved secrets. */
  env: Record<string, string>
}

export interface ProcessExit {
  exitCode: number | null
  signal: string | null
  /** The end of the process's output, quoted when it died without recording an outcome. */
  output?: string
}

/** What the runtime hands an orchestrator for one run. */
export interface OrchestratorRunContext {
  readonly logger: Logger
  /** Aborted when the user stops the run (SIGINT); stop starting steps and stop running ones. */
  readonly signal: AbortSignal
  /** Steps the client already resolved from the cache: never execute them. */
  readonly cached: ReadonlySet<string>
  /** Runs one step in this process through the shared step runner (retries included). */
  runStep(stepId: string, signal: AbortSignal): Promise<StepOutcome>
  /**
   * Before starting a step in another process: resolves it from the cache (returning its outcome), or
   * stages what the step process needs in the artifact store (returning `undefined`).
   */
  prepareStep(stepId: string): Promise<StepOutcome | undefined>
  /** The command that runs one step in a fresh process, for process-isolated and remote orchestrators. */
  stepCommand(stepId: string): StepCommand
  /** Called after a step process exits: ingests what it recorded and returns its outcome. */
  collectStep(stepId: string, exit: ProcessExit): Promise<StepOutcome>
}

export type StepRunState = StepFinalStatus | 'skipped' | 'not_started'

export interface OrchestratorRunResult {
  /** Every step of the snapshot: its final status, `skipped` (an upstream failed) or `not_started`. */
  steps: Record<string, StepRunState>
}

/** Version 1 of the orchestrator contract. */
export interface OrchestratorV1 {
  readonly apiVersion: 1
  /** Runs the snapshot's steps in dependency order and resolves once none is running. */
  run(snapshot: PipelineSnapshot, context: OrchestratorRunContext): Promise<OrchestratorRunResult>
  close?(): Promise<void>
}
