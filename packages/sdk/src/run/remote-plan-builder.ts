import type { ArtifactVersionInfo } from '@strata/core'
import type { StoreRepositories } from '@strata/store'
import { type CacheParts, cacheKey } from '../cache/cache-key.js'
import type { RemotePlan } from '../process/remote-plan.js'
import { stepCacheParts } from '../step/step-runner.js'
import { artifactInfo } from './run-models.js'
import type { RunSession } from './run-session.js'

/** How many earlier executions per step the plan offers for reuse (the newest ones). */
const CANDIDATES_PER_STEP = 50

async function outputsOf(
  repositories: StoreRepositories,
  stepRunId: string,
): Promise<Record<string, ArtifactVersionInfo>> {
  const outputs: Record<string, ArtifactVersionInfo> = {}
  for (const [name, id] of Object.entries(await repositories.runs.stepArtifacts(stepRunId, 'output'))) {
    outputs[name] = artifactInfo(await repositories.artifacts.requireVersionById(id))
  }
  return outputs
}

/** Everything in the parts but the inputs, in a comparable form. */
function withoutInputs(parts: Omit<CacheParts, 'inputs'> | CacheParts): string {
  const { inputs: _inputs, files: _files, packages: _packages, ...rest } = parts as CacheParts
  return JSON.stringify(rest, Object.keys(rest).sort())
}

/**
 * What the driver of a remote run needs from the metadata store, read now: the outputs of the steps the
 * client resolved from the cache, each remaining step's cache key parts but its inputs, the earlier
 * executions whose parts match but for the inputs (so the driver can resolve a cache hit once the inputs'
 * digests are known), and the artifact versions named by `artifact()` inputs.
 */
export async function buildRemotePlan(session: RunSession, done: ReadonlySet<string>): Promise<RemotePlan> {
  const { repositories, artifactStore } = session.environment
  const { snapshot } = session
  const plan: RemotePlan = { cached: {}, cacheParts: {}, cacheIndex: {}, artifacts: {} }
  for (const step of snapshot.steps) {
    for (const input of Object.values(step.inputs)) {
      if (input.kind === 'artifact' && !plan.artifacts[input.artifactVersionId]) {
        plan.artifacts[input.artifactVersionId] = artifactInfo(
          await repositories.artifacts.requireVersionById(input.artifactVersionId),
        )
      }
    }
    if (done.has(step.id)) {
      const stepRun = await repositories.runs.stepRun(session.runId, step.id)
      if (stepRun) plan.cached[step.id] = { outputs: await outputsOf(repositories, stepRun.id) }
      continue
    }
    if (!step.cache.enabled) continue
    const definition = session.definitions.get(step.id)
    const custom = [
      ...(definition?.config.materializers ?? []),
      ...(session.pipeline.config.materializers ?? []),
    ]
    const { inputs: _inputs, ...partial } = stepCacheParts(snapshot, step, {}, artifactStore.uri, custom)
    plan.cacheParts[step.id] = partial
    const wanted = withoutInputs(partial)
    for (const candidate of await repositories.runs.cacheCandidates(
      step.step,
      step.codeFingerprint,
      CANDIDATES_PER_STEP,
    )) {
      if (plan.cacheIndex[candidate.cacheKey] || !candidate.cacheParts) continue
      const parts = candidate.cacheParts as unknown as CacheParts
      // A key recorded by another Strata (older parts) may not be recomputed the same way: skip it.
      if (withoutInputs(parts) !== wanted || cacheKey(parts) !== candidate.cacheKey) continue
      plan.cacheIndex[candidate.cacheKey] = {
        stepRunId: candidate.stepRunId,
        outputs: await outputsOf(repositories, candidate.stepRunId),
      }
    }
  }
  return plan
}
