// What the runtime hands orchestrators for steps that run in their own process: the command, and the
// collection of what the process journaled.
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import {
  type PipelineSnapshot,
  type ProcessExit,
  redactText,
  type StepCommand,
  type StepOutcome,
  StrataError,
} from '@strata/core'
import { ingestJournal, journalOutcome, writeJournalEvents } from '../recording/journal.js'
import type { RunEvent } from '../recording/run-events.js'
import { applyRunEvent } from '../recording/store-recorder.js'
import type { RunComponent, RunEnvironment } from '../run/run-environment.js'
import { type RunOutput, reportStep } from '../run/run-progress.js'
import { sdkPackageDir } from './code-bundle.js'
import { STEP_PROCESS_ENV, type StepProcessComponent } from './step-process-env.js'
import { keepInStepLog, type StepProcessOutput } from './step-process-output.js'

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
 * `strata step run --run <uri> --step <id> --one-attempt`, with what the process needs in its environment.
 * Each process makes one attempt, as a pod does: one that dies of a signal (the OOM killer's SIGKILL, a
 * SIGSEGV) is then a failed attempt the retry policy answers by starting another process.
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
    args: [
      runner,
      'step',
      'run',
      '--run',
      runUri(environment, snapshot.runId),
      '--step',
      stepId,
      '--one-attempt',
    ],
    env: processEnvironment(environment, secretValues),
  }
}

/** A step process's end as `collectStep` sees it: a final outcome, or another attempt to start. */
export type CollectedStep = StepOutcome | { status: 'retrying'; attempt: number; error: string }

export interface CollectStepOptions {
  environment: RunEnvironment
  snapshot: PipelineSnapshot
  stepId: string
  exit: ProcessExit
  /** The attempt the process made (1 for the step's first process in this execution). */
  attempt: number
  output: StepProcessOutput
  say: RunOutput | undefined
  secretValues: readonly string[]
}

/** Why a process that recorded no outcome ended, in the words the step's error and log use. */
function deathOf(exit: ProcessExit, secretValues: readonly string[]): string {
  const tail = redactText(exit.output?.trim().split('\n').slice(-3).join(' | ') ?? '', secretValues)
  const how = !exit.signal
    ? `exited (code ${exit.exitCode}) without recording an outcome`
    : exit.stopped
      ? `ended on ${exit.signal} after the run stopped it`
      : `died of ${exit.signal}, a signal the run did not send`
  return `the step process ${how}${tail ? `: ${tail}` : ''}`
}

/**
 * After a step process exited: ingests its journal, keeps what it printed around the step runner in the
 * step's log, and decides. An outcome the process recorded stands — except `stopped` when the run did not
 * stop it (a SIGTERM from elsewhere). An attempt that failed, or a process that died of a signal the run
 * did not send, is `retrying` while the retry policy allows another attempt, else `failed` with the
 * reason; a process the run stopped is `stopped`.
 */
export async function collectStep(options: CollectStepOptions): Promise<CollectedStep> {
  const { environment, snapshot, stepId, exit, attempt, output, say } = options
  const { repositories, artifactStore: store } = environment
  const runId = snapshot.runId
  const events = await ingestJournal(repositories, store, runId, stepId)
  const outcome = journalOutcome(events)
  const retries = events.filter((event) => event.type === 'step_retrying')
  const record = async (event: RunEvent): Promise<void> => {
    // Into the journal too, so that the next process counts the attempt and `runs sync` sees the same.
    await writeJournalEvents(store, runId, stepId, [event], 'orchestrator')
    await applyRunEvent(repositories, runId, event)
  }
  /** Records the end the process could not: `stopped` by the run, or `failed` for good. */
  const end = async (status: 'failed' | 'stopped', error: string): Promise<StepOutcome> => {
    output.note(stepId, error)
    const logKey = await keepInStepLog(store, runId, stepId, output.take(stepId))
    const at = new Date().toISOString()
    await record({
      type: 'step_failed',
      id: randomUUID(),
      step: stepId,
      status,
      attempts: attempt,
      error,
      at,
      ...(logKey ? { logKey } : {}),
    })
    reportStep(say, { step: stepId, state: status, error })
    return { status, error }
  }
  if (outcome && (outcome.status !== 'stopped' || exit.stopped)) {
    const logKey = await keepInStepLog(store, runId, stepId, output.take(stepId))
    if (logKey) await repositories.runs.upsertStepRun(runId, stepId, { logKey })
    reportStep(say, {
      step: stepId,
      state: outcome.status,
      ...(outcome.error ? { error: outcome.error } : {}),
    })
    return outcome
  }
  if (exit.stopped) return end('stopped', `stopped: ${deathOf(exit, options.secretValues)}`)
  const recordedRetry = !outcome && retries.length >= attempt ? retries.at(-1) : undefined
  if (recordedRetry?.type === 'step_retrying') {
    await keepInStepLog(store, runId, stepId, output.take(stepId))
    const { attempt: next, error } = recordedRetry
    reportStep(say, { step: stepId, state: 'retrying', attempt: next, error })
    return { status: 'retrying', attempt: next, error }
  }
  const error = outcome
    ? `the step process stopped on a signal the run did not send (${outcome.error ?? 'stopped'})`
    : deathOf(exit, options.secretValues)
  const retry = snapshot.steps.find((candidate) => candidate.id === stepId)?.retry
  if (!retry || attempt > retry.maxRetries) return end('failed', error)
  const wait = retry.delay * retry.backoff ** (attempt - 1)
  output.note(stepId, `${error}; attempt ${attempt} failed, the next process retries in ${wait} ms`)
  await keepInStepLog(store, runId, stepId, output.take(stepId))
  const at = new Date().toISOString()
  await record({ type: 'step_retrying', id: randomUUID(), step: stepId, attempt: attempt + 1, error, at })
  reportStep(say, { step: stepId, state: 'retrying', attempt: attempt + 1, error })
  return { status: 'retrying', attempt: attempt + 1, error }
}
