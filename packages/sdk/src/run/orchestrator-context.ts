import { randomUUID } from 'node:crypto'
import type { OrchestratorRunContext, RemoteRunHandle } from '@strata/core'
import { buildCodeBundle } from '../process/code-bundle.js'
import { collectStep, stepCommand } from '../process/step-process-host.js'
import { runKeys } from '../recording/journal.js'
import { resolveFromCache, runStep, type StepRunnerHost } from '../step/step-runner.js'
import { remoteRunContext } from './remote-run.js'
import { reportStep } from './run-progress.js'
import type { RunSession } from './run-session.js'

/** Writes the run's code bundle to its artifact store once (what step processes and pods import). */
export function codeBundleStager(session: RunSession): () => Promise<void> {
  let staged: Promise<void> | undefined
  return () => {
    staged ??= (async () => {
      const modules: Record<string, string> = {}
      for (const step of session.snapshot.steps) {
        const definition = session.definitions.get(step.id)
        if (definition?.module) modules[step.source.module] = definition.module
      }
      const { environment } = session
      await environment.artifactStore.write(
        session.snapshot.code.bundleKey ?? runKeys.bundle(session.runId),
        await buildCodeBundle(modules, environment.projectRoot),
      )
    })()
    return staged
  }
}

export interface OrchestratorContextOptions {
  session: RunSession
  host: StepRunnerHost
  /** Steps resolved before the orchestrator is called (cached up front, or done before a resume). */
  done: ReadonlySet<string>
  signal: AbortSignal
  /** Records where a remote run can be found again (`runs stop`, `runs sync`). */
  submitted(handle: RemoteRunHandle): Promise<void>
}

/**
 * What the runtime hands the orchestrator for one run: in-process steps through the shared step runner;
 * step processes (staged inputs, the command, their journal collected); and for a remote orchestrator the
 * run staged in the artifact store and its journals followed.
 */
export function orchestratorContext(options: OrchestratorContextOptions): OrchestratorRunContext {
  const { session, host } = options
  const { snapshot, say } = session
  const stageBundle = codeBundleStager(session)
  const print = (message: string) => say?.(session.redact(message))
  return {
    logger: { debug: () => {}, info: print, warn: print, error: print },
    signal: options.signal,
    cached: options.done,
    runStep: (stepId, signal) => runStep(host, stepId, signal),
    prepareStep: async (stepId) => {
      if (await resolveFromCache(host, stepId)) return { status: 'cached' }
      await stageBundle()
      await session.environment.artifactStore.write(
        runKeys.stepInputs(session.runId, stepId),
        JSON.stringify(await session.inputs(stepId)),
      )
      // The step has its row while its process runs (describe shows it running; if this client dies,
      // the abandoned run marks it failed); the process's journal, ingested later, completes it.
      session.events.record({
        type: 'step_started',
        id: randomUUID(),
        step: stepId,
        stepName: session.step(stepId).step,
        attempt: 1,
        at: new Date().toISOString(),
      })
      await session.events.flush()
      reportStep(say, { step: stepId, state: 'running', ownProcess: true })
      return undefined
    },
    stepCommand: (stepId) => stepCommand(session.environment, snapshot, stepId, session.secretValues),
    collectStep: (stepId, exit) =>
      collectStep(session.environment, snapshot, stepId, exit, say, session.secretValues),
    remote: remoteRunContext({ session, done: options.done, stageBundle }),
    submitted: options.submitted,
  }
}
