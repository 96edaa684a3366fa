// What the runtime hands orchestrators for steps that run in their own process: the command, and the
// collection of what the process journaled.
import { join } from 'node:path'
import {
  type PipelineSnapshot,
  type ProcessExit,
  redactText,
  type StepCommand,
  type StepOutcome,
  StrataError,
} from '@strata/core'
import { ingestJournal } from '../recording/journal.js'
import type { RunComponent, RunEnvironment } from '../run/run-environment.js'
import { type RunOutput, reportStep } from '../run/run-progress.js'
import { sdkPackageDir } from './code-bundle.js'
import { STEP_PROCESS_ENV, type StepProcessComponent } from './step-process-env.js'

function componentForProcess(component: RunComponent, configDir: string): StepProcessComponent {
  if (!component.entry) {
    throw new StrataError(
      'STEP_PROCESS_UNSUPPORTED',
      `component '${component.name}' (${component.type}/${component.flavor}) was not installed from a package, so a step process cannot load it — install its plugin, or run steps in-process`,
    )
  }
  return {
    type: component.type,
    name: component.name,
    id: component.id,
    flavor: component.flavor,
    entry: component.entry,
    config: component.config,
    dataDir: join(configDir, 'local_stores', component.id),
  }
}

/** The run's place in its artifact store, as step processes and drivers take it (`--run URI`). */
export function runUri(environment: RunEnvironment, runId: string): string {
  return `${environment.artifactStore.uri.replace(/\/$/, '')}/runs/${runId}`
}

/**
 * The variables a process of the run needs: the components it creates (configs with secrets resolved) and
 * the run's secret values, which it masks in all it writes. They may hold credentials: hand them over as
 * a process's environment or a secret, never in a spec, a log or a file.
 * @param options.orchestrator also the orchestrator, for the driver of a remote run
 */
export function processEnvironment(
  environment: RunEnvironment,
  secretValues: readonly string[],
  options: { orchestrator?: boolean } = {},
): Record<string, string> {
  const { components, configDir } = environment
  const env: Record<string, string> = {
    [STEP_PROCESS_ENV.marker]: '1',
    [STEP_PROCESS_ENV.artifactStore]: JSON.stringify(
      componentForProcess(components.artifact_store, configDir),
    ),
    [STEP_PROCESS_ENV.secrets]: JSON.stringify(secretValues),
  }
  if (components.experiment_tracker) {
    env[STEP_PROCESS_ENV.experimentTracker] = JSON.stringify(
      componentForProcess(components.experiment_tracker, configDir),
    )
  }
  if (options.orchestrator) {
    env[STEP_PROCESS_ENV.orchestrator] = JSON.stringify(
      componentForProcess(components.orchestrator, configDir),
    )
  }
  return env
}

/**
 * `strata step run --run <uri> --step <id>`, with what the process needs in its environment.
 * @param secretValues the run's secret values (see runSecretValues), masked by the process in all it writes
 */
export function stepCommand(
  environment: RunEnvironment,
  snapshot: PipelineSnapshot,
  stepId: string,
  secretValues: readonly string[],
): StepCommand {
  // `strata step run` with the CLI that started the run, else the SDK's own runner (same command).
  const runner = process.env.STRATA_CLI_BIN ?? join(sdkPackageDir(), 'bin', 'strata-step.mjs')
  return {
    command: process.execPath,
    args: [runner, 'step', 'run', '--run', runUri(environment, snapshot.runId), '--step', stepId],
    env: processEnvironment(environment, secretValues),
  }
}

export async function collectStep(
  environment: RunEnvironment,
  snapshot: PipelineSnapshot,
  stepId: string,
  exit: ProcessExit,
  say: RunOutput | undefined,
  secretValues: readonly string[],
): Promise<StepOutcome> {
  const { runs } = environment.repositories
  await ingestJournal(environment.repositories, environment.artifactStore, snapshot.runId, stepId)
  const stepRun = await runs.stepRun(snapshot.runId, stepId)
  if (
    stepRun &&
    (stepRun.status === 'completed' ||
      stepRun.status === 'failed' ||
      stepRun.status === 'stopped' ||
      stepRun.status === 'cached')
  ) {
    reportStep(say, {
      step: stepId,
      state: stepRun.status,
      ...(stepRun.error ? { error: stepRun.error } : {}),
    })
    return { status: stepRun.status, ...(stepRun.error ? { error: stepRun.error } : {}) }
  }
  const tail = redactText(exit.output?.trim().split('\n').slice(-3).join(' | ') ?? '', secretValues)
  const error = `the step process exited (${exit.signal ? `signal ${exit.signal}` : `code ${exit.exitCode}`}) without recording an outcome${tail ? `: ${tail}` : ''}`
  await runs.upsertStepRun(snapshot.runId, stepId, {
    step: snapshot.steps.find((step) => step.id === stepId)?.step ?? stepId,
    status: exit.signal ? 'stopped' : 'failed',
    error,
    endedAt: new Date().toISOString(),
  })
  reportStep(say, { step: stepId, state: exit.signal ? 'stopped' : 'failed', error })
  return { status: exit.signal ? 'stopped' : 'failed', error }
}
