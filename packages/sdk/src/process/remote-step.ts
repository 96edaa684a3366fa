import { randomUUID } from 'node:crypto'
import {
  type ArtifactStoreHost,
  type ArtifactVersionInfo,
  type PipelineSnapshot,
  type StepOutcome,
  StrataError,
} from '@strata/core'
import { cacheKey } from '../cache/cache-key.js'
import { readJournal, runKeys, writeJournalEvents } from '../recording/journal.js'
import type { RunEvent } from '../recording/run-events.js'
import { unusableOutputs } from '../step/step-cache.js'
import type { RemotePlan } from './remote-plan.js'

/** The outputs a finished step recorded: saved artifacts, or the ones a cache hit reused. */
function journalOutputs(events: readonly RunEvent[]): Record<string, ArtifactVersionInfo> {
  const outputs: Record<string, ArtifactVersionInfo> = {}
  for (const event of events) {
    if (event.type === 'artifact_saved') outputs[event.output] = event.artifact
    if (event.type === 'step_cached') Object.assign(outputs, event.outputArtifacts ?? {})
  }
  return outputs
}

export interface PrepareRemoteStepOptions {
  store: ArtifactStoreHost
  snapshot: PipelineSnapshot
  plan: RemotePlan
  stepId: string
  /** Who records a cache hit in the step's journal (`driver`, `step`). */
  writer: string
  /** Where to say why an earlier execution was not reused (its outputs are gone or damaged). */
  say?: (line: string) => void
}

/**
 * Before a step runs away from the metadata store (a pod): stages its inputs from its upstream steps'
 * journals (or the plan's cached outputs and named artifacts), and resolves it from the plan's cache index
 * once the inputs' digests are known — recording the hit in its journal and returning `cached`. Returns
 * `undefined` when the step must run.
 * @throws StrataError `MISSING_INPUT` when an upstream step produced no such output
 */
export async function prepareRemoteStep(options: PrepareRemoteStepOptions): Promise<StepOutcome | undefined> {
  const { store, snapshot, plan, stepId } = options
  const runId = snapshot.runId
  const step = snapshot.steps.find((candidate) => candidate.id === stepId)
  if (!step) throw new StrataError('UNKNOWN_STEP', `run ${snapshot.runName} has no step '${stepId}'`)
  const inputs: Record<string, ArtifactVersionInfo> = {}
  for (const [name, source] of Object.entries(step.inputs)) {
    const version =
      source.kind === 'artifact'
        ? plan.artifacts[source.artifactVersionId]
        : (plan.cached[source.step]?.outputs ?? journalOutputs(await readJournal(store, runId, source.step)))[
            source.output
          ]
    if (!version) {
      const what =
        source.kind === 'artifact'
          ? `artifact ${source.name}`
          : `output '${source.output}' of '${source.step}'`
      throw new StrataError(
        'MISSING_INPUT',
        `step '${stepId}': its input '${name}' (${what}) was never produced`,
      )
    }
    inputs[name] = version
  }
  const partial = plan.cacheParts[stepId]
  if (step.cache.enabled && partial) {
    const parts = {
      ...partial,
      inputs: Object.fromEntries(Object.entries(inputs).map(([name, version]) => [name, version.digest])),
    }
    const key = cacheKey(parts)
    const candidate = plan.cacheIndex[key]
    const complete =
      candidate && Object.keys(step.outputs).every((output) => candidate.outputs[output] !== undefined)
    const unusable = complete ? await unusableOutputs(store, candidate.outputs) : undefined
    if (unusable) options.say?.(`step ${stepId}: not taken from the cache: ${unusable} — running it again`)
    const hit = complete && !unusable ? candidate : undefined
    if (hit) {
      const event: RunEvent = {
        type: 'step_cached',
        id: randomUUID(),
        step: stepId,
        stepName: step.step,
        at: new Date().toISOString(),
        cacheKey: key,
        cacheParts: parts as never,
        cachedFrom: hit.stepRunId,
        inputs: Object.fromEntries(Object.entries(inputs).map(([name, version]) => [name, version.id])),
        outputs: Object.fromEntries(Object.entries(hit.outputs).map(([name, version]) => [name, version.id])),
        outputArtifacts: hit.outputs,
        ...(step.model ? { modelVersionId: step.model.versionId } : {}),
      }
      await writeJournalEvents(store, runId, stepId, [event], options.writer)
      return { status: 'cached' }
    }
  }
  await store.write(runKeys.stepInputs(runId, stepId), JSON.stringify(inputs))
  return undefined
}
