import type { RemoteRunContext, RemoteRunStaging, StepRunState } from '@strata/core'
import { readRemoteResult, remoteKeys } from '../process/remote-plan.js'
import { runtimeDriverArgs, runtimeStepArgs } from '../process/runtime-args.js'
import { buildRuntimeBundle } from '../process/runtime-bundle.js'
import { packRuntime } from '../process/runtime-package.js'
import { processEnvironment, runUri } from '../process/step-process-host.js'
import { JournalFollower } from '../recording/journal.js'
import type { RunEvent } from '../recording/run-events.js'
import { applyRunEvents } from '../recording/store-recorder.js'
import { buildRemotePlan } from './remote-plan-builder.js'
import { reportStep } from './run-progress.js'
import type { RunSession } from './run-session.js'

type RemoteStepState = StepRunState | 'pending' | 'running'

/** The installed plugins a remote process needs: the components it creates there. */
function runtimeEntries(session: RunSession): string[] {
  const { components } = session.environment
  return [components.artifact_store, components.experiment_tracker, components.orchestrator]
    .map((component) => component?.entry)
    .filter((entry): entry is string => entry !== undefined)
}

/** What a remote process needs, for a run (or a schedule's template) staged under `uri`. */
export function remoteStaging(session: RunSession, uri: string, kind: 'run' | 'schedule'): RemoteRunStaging {
  return {
    runUri: uri,
    env: processEnvironment(session.environment, session.secretValues, { orchestrator: true }),
    runtime: async () => packRuntime(await buildRuntimeBundle(runtimeEntries(session))),
    stepArgs: (stepId) => runtimeStepArgs(runUri(session.environment, session.runId), stepId),
    driverArgs: () => runtimeDriverArgs(uri, kind),
  }
}

/** Prints a remote step's stored log once it ended, as the local orchestrator echoes it while it runs. */
async function printStepLog(session: RunSession, stepId: string, logKey: string | undefined): Promise<void> {
  if (!session.say || !logKey) return
  const text = await session.environment.artifactStore.readText(logKey).catch(() => '')
  for (const line of text.split('\n')) {
    if (line === '') continue
    // Stored lines are `<time> <LEVEL> <text>`; the terminal shows `[step] <text>`, as in-process runs do.
    session.say(session.redact(`[${stepId}] ${line.replace(/^\S+ \S+\s+/, '')}`))
  }
}

/** Reports a step's journal events as progress, the step's log after its end; returns its state. */
async function reportEvents(
  session: RunSession,
  stepId: string,
  events: readonly RunEvent[],
  state: RemoteStepState,
): Promise<RemoteStepState> {
  const say = session.say
  let current = state
  for (const event of events) {
    if (event.type === 'step_started' && current !== 'running') {
      current = 'running'
      reportStep(say, { step: stepId, state: 'running', ownProcess: true })
    } else if (event.type === 'step_retrying') {
      current = 'running'
      reportStep(say, { step: stepId, state: 'retrying', attempt: event.attempt, error: event.error })
    } else if (event.type === 'step_cached') {
      current = 'cached'
      reportStep(say, { step: stepId, state: 'cached' })
    } else if (event.type === 'step_completed' || event.type === 'step_failed') {
      await printStepLog(session, stepId, event.logKey)
      current = event.type === 'step_completed' ? 'completed' : event.status
      reportStep(say, {
        step: stepId,
        state: current,
        ...(event.type === 'step_failed' ? { error: event.error } : {}),
      })
    }
  }
  return current
}

/**
 * The runtime's side of a remote run on the client: stages it in the artifact store (snapshot, code
 * bundle, the plan the driver needs instead of the metadata store), then follows its journals into the
 * store and the output, and reads the end its driver recorded.
 */
export function remoteRunContext(options: {
  session: RunSession
  done: ReadonlySet<string>
  stageBundle: () => Promise<void>
}): RemoteRunContext {
  const { session } = options
  const { environment, snapshot } = session
  const follower = new JournalFollower(environment.artifactStore, session.runId)
  const states = new Map<string, RemoteStepState>(
    snapshot.steps.map((step) => [step.id, options.done.has(step.id) ? 'cached' : 'pending']),
  )
  let staged: Promise<RemoteRunStaging> | undefined
  return {
    stage() {
      staged ??= (async () => {
        await options.stageBundle()
        const plan = await buildRemotePlan(session, options.done)
        await environment.artifactStore.write(remoteKeys.plan(session.runId), JSON.stringify(plan))
        return remoteStaging(session, runUri(environment, session.runId), 'run')
      })()
      return staged
    },
    async sync() {
      const written = await follower.poll()
      await applyRunEvents(environment.repositories, session.runId, [...written.values()].flat())
      for (const [stepId, events] of written) {
        states.set(stepId, await reportEvents(session, stepId, events, states.get(stepId) ?? 'pending'))
      }
      return Object.fromEntries(states)
    },
    result: () => readRemoteResult(environment.artifactStore, session.runId),
  }
}
