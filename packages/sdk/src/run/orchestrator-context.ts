import { randomUUID } from 'node:crypto'
import type { OrchestratorRunContext, RemoteRunHandle } from '@strata/core'
import { buildCodeBundle } from '../process/code-bundle.js'
import { collectStep, stepCommand } from '../process/step-process-host.js'
import { StepProcessOutput } from '../process/step-process-output.js'
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
  const processOutput = new StepProcessOutput(say, session.redact)
  /** Step processes started per step in this execution: the attempt each one makes. */
  const processes = new Map<string, number>()
  return {
    logger: { debug: () => {}, info: print, warn: print, error: print },
    signal: options.signal,
    cached: options.done,
    runStep: (stepId, signal) => runStep(host, stepId, signal),
    prepareStep: async (stepId) => {
      if (await resolveFromCache(host, stepId)) return { status: 'cached' }
      await stageBundle()
      // A resumed step starts afresh: its processes count attempts (and find an outcome) in its journal.
      await session.environment.artifactStore.deletePrefix(runKeys.journal(session.runId, stepId))
      processes.set(stepId, 0)
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
    stepOutput: (stepId, stream, text) => processOutput.write(stepId, stream, text),
    collectStep: (stepId, exit) => {
      const attempt = (processes.get(stepId) ?? 0) + 1
      processes.set(stepId, attempt)
      return collectStep({
        environment: session.environment,
        snapshot,
        stepId,
        exit,
        attempt,
        output: processOutput,
        say,
        secretValues: session.secretValues,
      })
    },
    remote: remoteRunContext({ session, done: options.done, stageBundle }),
    submitted: options.submitted,
  }
}
