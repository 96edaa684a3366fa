import { StrataError } from '@strata/core'
import type { StepDefinition } from '../dsl/step-definition.js'

/**
 * Calls a step's function directly, outside any pipeline: parameters are validated, the context logs to
 * the console, metadata is dropped, and there is no tracker or model. Meant for unit tests of steps.
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
  const unavailable = (what: string) => () => {
    throw new StrataError(
      'NOT_IN_A_RUN',
      `step '${definition.name}' was called directly, outside a run, so it has no ${what}`,
    )
  }
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
    get experimentTracker(): never {
      return unavailable('experiment tracker')()
    },
    get model(): never {
      return unavailable('model')()
    },
  }
  return definition.fn((inputs ?? {}) as Record<string, unknown>, context)
}
