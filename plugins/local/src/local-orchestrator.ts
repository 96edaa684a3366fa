import { spawn } from 'node:child_process'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import {
  executeDag,
  type OrchestratorRunContext,
  type OrchestratorRunResult,
  type OrchestratorV1,
  type PipelineSnapshot,
  type ProcessExit,
  type StepCommand,
  type StepOutcome,
} from '@strata/core'
import type { LocalOrchestratorConfig } from './local-orchestrator-flavor.js'
import { createStepFolder, reclaimStepFolders } from './step-folders.js'

const SETTINGS_KEY = 'orchestrator.local'

/** How long a stopped step process gets to journal its outcome and exit before it is killed. */
const STOP_GRACE_MS = 5_000

/** A counting semaphore for step processes. */
class Slots {
  #free: number
  readonly #waiting: Array<() => void> = []
  constructor(size: number) {
    this.#free = size
  }
  async take(): Promise<() => void> {
    if (this.#free > 0) this.#free--
    else await new Promise<void>((resolve) => this.#waiting.push(resolve))
    return () => {
      const next = this.#waiting.shift()
      if (next) next()
      else this.#free++
    }
  }
}

/** How long the output of an exited step process may take to drain (a child it started may hold it open). */
const DRAIN_MS = 2_000

/**
 * Spawns one step process in a fresh temporary directory, with the metadata store out of reach (its
 * config directory points at an empty folder): it has only the artifact store, as a pod would. Everything
 * it writes goes to `onOutput` as it comes; it resolves once the process exited and its output drained.
 */
async function spawnStep(
  command: StepCommand,
  signal: AbortSignal,
  onOutput: (stream: 'stdout' | 'stderr', text: string) => void,
): Promise<{ exit: ProcessExit; output: string }> {
  const workDir = await createStepFolder()
  let output = ''
  try {
    const exit = await new Promise<ProcessExit>((resolve) => {
      const child = spawn(command.command, command.args, {
        cwd: workDir,
        env: { ...process.env, ...command.env, STRATA_CONFIG_DIR: join(workDir, 'no-store') },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let drained = 0
      let exited: ProcessExit | undefined
      let kill: NodeJS.Timeout | undefined
      let drainLimit: NodeJS.Timeout | undefined
      const settle = (): void => {
        if (!exited || drained < 2) return
        signal.removeEventListener('abort', stop)
        clearTimeout(kill)
        clearTimeout(drainLimit)
        resolve(exited)
      }
      for (const stream of ['stdout', 'stderr'] as const) {
        // Decoded as text by the stream, so a character split across two chunks arrives whole.
        child[stream].setEncoding('utf8')
        child[stream].on('data', (chunk: string) => {
          output = (output + chunk).slice(-4000)
          onOutput(stream, chunk)
        })
        child[stream].once('close', () => {
          drained++
          settle()
        })
      }
      // SIGTERM lets the step stop through its signal and journal that; one that does not exit in time
      // (a step ignoring its signal, or blocking the event loop) is killed, so none outlives the run.
      const stop = (): void => {
        child.kill('SIGTERM')
        kill = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS)
      }
      if (signal.aborted) stop()
      else signal.addEventListener('abort', stop, { once: true })
      child.once('error', (error) => {
        output += `\ncannot start the step process: ${error.message}`
        exited = { exitCode: 127, signal: null }
        drained = 2
        settle()
      })
      child.once('exit', (exitCode, exitSignal) => {
        exited = { exitCode, signal: exitSignal }
        clearTimeout(kill)
        drainLimit = setTimeout(() => {
          child.stdout.destroy()
          child.stderr.destroy()
          drained = 2
          settle()
        }, DRAIN_MS)
        settle()
      })
    })
    return { exit, output }
  } finally {
    await rm(workDir, { recursive: true, force: true })
  }
}

/**
 * Runs ready steps concurrently: in this process (async steps share the event loop) or one process per
 * step. Failure modes come from the snapshot; the DAG executor in core enforces them.
 */
export class LocalOrchestrator implements OrchestratorV1 {
  readonly apiVersion = 1
  readonly #config: Required<LocalOrchestratorConfig>

  constructor(config: Required<LocalOrchestratorConfig>) {
    this.#config = config
  }

  /** Removes the step folders that killed runs left behind (`strata pipeline runs sync` calls it). */
  reclaim(): Promise<string[]> {
    return reclaimStepFolders()
  }

  #isolation(snapshot: PipelineSnapshot, stepId: string): 'inline' | 'process' {
    const step = snapshot.steps.find((candidate) => candidate.id === stepId)
    const fromStep = (step?.settings[SETTINGS_KEY] as { isolation?: 'inline' | 'process' } | undefined)
      ?.isolation
    const fromPipeline = (snapshot.settings[SETTINGS_KEY] as { isolation?: 'inline' | 'process' } | undefined)
      ?.isolation
    return fromStep ?? fromPipeline ?? this.#config.isolation
  }

  async run(snapshot: PipelineSnapshot, context: OrchestratorRunContext): Promise<OrchestratorRunResult> {
    // Counted among the steps that will run: cached (or, on resume, done) steps start no process.
    const processSteps = snapshot.steps.filter(
      (step) => !context.cached.has(step.id) && this.#isolation(snapshot, step.id) === 'process',
    ).length
    const slots = new Slots(this.#config.processConcurrency)
    // Step folders of runs killed before they could remove them (never one a live process uses).
    await reclaimStepFolders()
    context.logger.info(
      `local orchestrator: up to ${this.#config.concurrency} steps at once${processSteps > 0 ? `, ${processSteps === 1 ? '1 in its own process' : `${processSteps} in their own processes`} (up to ${this.#config.processConcurrency} at once)` : ', in-process'}`,
    )
    const runInOwnProcess = async (stepId: string, signal: AbortSignal): Promise<StepOutcome> => {
      const release = await slots.take()
      try {
        const cached = await context.prepareStep(stepId)
        if (cached) return cached
        // One process per attempt, while the runtime says the retry policy wants another.
        for (;;) {
          const { exit, output } = await spawnStep(context.stepCommand(stepId), signal, (stream, text) =>
            context.stepOutput(stepId, stream, text),
          )
          // Asked after the exit: a Ctrl-C reaches the step process and this one at once, either first.
          const outcome = await context.collectStep(stepId, { ...exit, output, stopped: signal.aborted })
          if (outcome.status !== 'retrying') return outcome
        }
      } finally {
        release()
      }
    }
    const steps = await executeDag({
      nodes: snapshot.steps,
      done: context.cached,
      concurrency: this.#config.concurrency,
      failureMode: snapshot.failureMode,
      signal: context.signal,
      execute: (stepId, signal) =>
        this.#isolation(snapshot, stepId) === 'process'
          ? runInOwnProcess(stepId, signal)
          : context.runStep(stepId, signal),
    })
    return { steps }
  }
}
