import { type StepTracking, StrataError } from '@strata/core'
import type { StepDefinition } from '../dsl/step-definition.js'

/**
 * A stand-in for the experiment tracker of a step that declares one (its `ctx.experimentTracker` is typed
 * present): it prints what the step logs, so a directly called step runs as it would in a run.
 */
function consoleTracking(stepName: string): StepTracking {
  const print = (what: string) => console.debug(`[${stepName}] experiment tracker: ${what}`)
  const at = (step: number | undefined) => (step === undefined ? '' : ` at step ${step}`)
  return {
    runId: 'direct-call',
    runUrl: undefined,
    logParams: (params) => print(`params ${JSON.stringify(params)}`),
    logMetric: (key, value, step) => print(`${key} = ${value}${at(step)}`),
    logMetrics: (metrics, step) => print(`metrics ${JSON.stringify(metrics)}${at(step)}`),
    setTags: (tags) => print(`tags ${JSON.stringify(tags)}`),
    logArtifact: async (_source, name) => print(`artifact ${name}`),
    end: async () => ({}),
  }
}

/**
 * Calls a step's function directly, outside any pipeline: parameters are validated, the context logs to
 * the console, metadata is dropped, and there is no model. A step that declares an experiment tracker gets
 * one that prints to the console; any other step has none. Meant for unit tests of steps.
 */
export async function runStepDirectly(
  definition: StepDefinition,
  inputs: unknown,
  params: unknown,
): Promise<unknown> {
  let parsed: Record<string, unknown> = {}
  if (definition.params) {
    const result = definition.params.safeParse(params ?? {})
    if (!result.success) {
      const problems = result.error.issues
        .map((issue) => `${issue.path.join('.')}: ${issue.message}`)
        .join('; ')
      throw new StrataError(
        'INVALID_PARAMETERS',
        `step '${definition.name}': parameters are invalid: ${problems}`,
      )
    }
    parsed = result.data as Record<string, unknown>
  }
  const tracker = definition.config.experimentTracker
  const context = {
    params: parsed,
    pipelineName: '',
    runId: '',
    runName: '',
    stepName: definition.name,
    attempt: 1,
    logger: {
      debug: (message: string) => console.debug(message),
      info: (message: string) => console.info(message),
      warn: (message: string) => console.warn(message),
      error: (message: string) => console.error(message),
    },
    signal: new AbortController().signal,
    logMetadata: () => {},
    experimentTracker:
      tracker === undefined || tracker === false ? undefined : consoleTracking(definition.name),
    get model(): never {
      throw new StrataError(
        'NOT_IN_A_RUN',
        `step '${definition.name}' was called directly, outside a run, so it has no model`,
      )
    },
  }
  return definition.fn((inputs ?? {}) as Record<string, unknown>, context)
}
