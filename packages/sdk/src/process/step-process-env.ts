// What orchestrators and step processes agree on: the variables a step process reads, and whether this
// process is one. No imports, so that anything (the run path, the DSL) can ask cheaply.
import type { ComponentType } from '@strata/core'

/** How a step process finds a component: handed over by the orchestrator in an environment variable. */
export interface StepProcessComponent {
  type: ComponentType
  name: string
  id: string
  flavor: string
  /** URL of the module exporting the flavor's plugin (installed code, not the project's source). */
  entry: string
  /** Config with secrets resolved. */
  config: Record<string, unknown>
  /** The component's data directory on the machine that started the run (local components keep state there). */
  dataDir: string
}

export const STEP_PROCESS_ENV = {
  marker: 'STRATA_STEP_PROCESS',
  artifactStore: 'STRATA_STEP_ARTIFACT_STORE',
  /** The run's orchestrator, for the driver of a remote run (`strata-runtime orchestrate`). */
  orchestrator: 'STRATA_STEP_ORCHESTRATOR',
  experimentTracker: 'STRATA_STEP_EXPERIMENT_TRACKER',
  /** The run's secret values (a JSON array), so that the process masks them in all it writes. */
  secrets: 'STRATA_STEP_SECRETS',
} as const

/** True inside a step process (where `pipeline.run()` is a no-op). */
export function insideStepProcess(): boolean {
  return process.env[STEP_PROCESS_ENV.marker] === '1'
}

// On globalThis, so that every copy of the SDK a module graph holds sees it.
const IMPORTING = Symbol.for('strata.importing-pipelines')

/**
 * Runs `load` (an import of a user's module) with `pipeline.run()` turned into a no-op, so that a module
 * ending with `await training.run()` can be imported by `strata pipeline run` or `resume` without running.
 */
export async function importingPipelines<T>(load: () => Promise<T>): Promise<T> {
  const scope = globalThis as Record<symbol, number | undefined>
  scope[IMPORTING] = (scope[IMPORTING] ?? 0) + 1
  try {
    return await load()
  } finally {
    scope[IMPORTING] = (scope[IMPORTING] ?? 1) - 1
  }
}

/** True while a module is imported for its pipelines (see {@link importingPipelines}). */
export function importingModules(): boolean {
  return ((globalThis as Record<symbol, number | undefined>)[IMPORTING] ?? 0) > 0
}
