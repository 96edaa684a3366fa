import { StrataError } from '@strata/core'
import type { StepRunRecord, StoreRepositories } from '@strata/store'
import { type CacheParts, explainCacheParts } from '../cache/cache-key.js'

export interface CacheExplanation {
  step: StepRunRecord
  /** The earlier execution compared against, if any. */
  previous: StepRunRecord | undefined
  /** What differs, in words; empty when the keys are equal. */
  reasons: string[]
}

/**
 * Why a step ran instead of coming from the cache (or why it was cached): compares its cache key parts
 * with the previous execution of the same step of the same pipeline.
 * @throws StrataError `RUN_NOT_FOUND` or `STEP_RUN_NOT_FOUND`
 */
export async function explainCache(
  repositories: StoreRepositories,
  runReference: string,
  stepName: string,
): Promise<CacheExplanation> {
  const run = await repositories.runs.require(runReference)
  const step = await repositories.runs.stepRun(run.id, stepName)
  if (!step) {
    const names = (await repositories.runs.stepRuns(run.id)).map((candidate) => candidate.name)
    throw new StrataError(
      'STEP_RUN_NOT_FOUND',
      `run ${run.name} has no step '${stepName}' — its steps are: ${names.join(', ')}`,
    )
  }
  const previous = await repositories.runs.previousStepRun(step)
  if (!step.cacheParts) {
    return {
      step,
      previous,
      reasons: ['the step recorded no cache key (caching was off, or it did not start)'],
    }
  }
  if (!previous?.cacheParts)
    return { step, previous, reasons: ['no earlier execution of this step to compare with'] }
  return {
    step,
    previous,
    reasons: explainCacheParts(
      previous.cacheParts as unknown as CacheParts,
      step.cacheParts as unknown as CacheParts,
    ),
  }
}
