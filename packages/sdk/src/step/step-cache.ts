import { randomUUID } from 'node:crypto'
import {
  type ArtifactStoreHost,
  errorMessage,
  type JsonObject,
  type PipelineSnapshot,
  type StepSnapshot,
  StrataError,
} from '@strata/core'
import { type CacheParts, cacheKey } from '../cache/cache-key.js'
import type { StepDefinition } from '../dsl/step.js'
import type { Materializer } from '../materializers/materializer.js'
import { materializerCacheKey } from '../materializers/select-materializer.js'
import { checkArtifactData, describeVersion } from './artifact-integrity.js'
import type { ArtifactVersionInfo } from './artifact-io.js'
import type { StepRunnerHost } from './step-runner-host.js'

/** The cache key parts of a step given its resolved inputs and the custom materializers it may use. */
export function stepCacheParts(
  snapshot: PipelineSnapshot,
  step: StepSnapshot,
  inputs: Record<string, ArtifactVersionInfo>,
  artifactStoreUri: string,
  custom: readonly Materializer[],
): CacheParts {
  const module = snapshot.code.modules[step.source.module]
  return {
    step: step.step,
    code: step.codeFingerprint,
    files: module?.files ?? {},
    packages: module?.packages ?? {},
    parameters: step.parameters,
    inputs: Object.fromEntries(Object.entries(inputs).map(([name, version]) => [name, version.digest])),
    outputs: Object.fromEntries(
      Object.entries(step.outputs).map(([name, output]) => [
        name,
        materializerCacheKey(output.materializer, custom, `output '${name}' of step '${step.id}'`),
      ]),
    ),
    artifactStore: artifactStoreUri,
    env: step.env,
    secrets: step.secrets,
    cacheVersion: step.cache.version ?? null,
  }
}

export interface PreparedStep {
  definition: StepDefinition
  custom: Materializer[]
  inputs: Record<string, ArtifactVersionInfo>
  parts: CacheParts
  key: string
  inputIds: Record<string, string>
  cached: boolean
}

/**
 * Why the outputs of an earlier execution cannot be reused, or `undefined` when each is there with its
 * recorded size and no load found it damaged. Cheap: one listing per output, no byte read (loads check
 * the digest). A store that cannot say (unreachable) makes the outputs unusable too: running the step
 * again is always correct.
 */
export async function unusableOutputs(
  store: ArtifactStoreHost,
  outputs: Record<string, ArtifactVersionInfo>,
): Promise<string | undefined> {
  for (const [output, version] of Object.entries(outputs)) {
    try {
      const data = await checkArtifactData(store, version)
      if (data.reason) return `its output '${output}' (${describeVersion(version)}): ${data.reason}`
    } catch (error) {
      return `its output '${output}' (${describeVersion(version)}) could not be checked: ${errorMessage(error)}`
    }
  }
  return undefined
}

/** Cache hits found unusable, per host (one run) and step: `step\0key` → why. */
const rejected = new WeakMap<StepRunnerHost, Map<string, string>>()

/** Resolves a step's inputs and cache key, and records it as cached when an identical execution exists. */
export async function prepareStep(host: StepRunnerHost, step: StepSnapshot): Promise<PreparedStep> {
  const { snapshot, store, recorder } = host
  const definition = host.definition(step.id)
  const custom = [...(definition.config.materializers ?? []), ...host.materializers]
  const inputs = await host.inputs(step.id)
  for (const [name, version] of Object.entries(inputs)) {
    if (version.artifactStoreUri !== store.uri) {
      throw new StrataError(
        'ARTIFACT_IN_OTHER_STORE',
        `input '${name}' of step '${step.id}' (artifact ${version.name}) lives in artifact store ${version.artifactStoreUri}, but this stack's store is ${store.uri} — run on the stack that produced it`,
      )
    }
  }
  const parts = stepCacheParts(snapshot, step, inputs, store.uri, custom)
  const key = cacheKey(parts)
  const inputIds = Object.fromEntries(Object.entries(inputs).map(([name, version]) => [name, version.id]))
  const hit = step.cache.enabled && host.findCached ? await host.findCached(key) : undefined
  if (!hit || !Object.keys(step.outputs).every((output) => hit.outputs[output] !== undefined))
    return { definition, custom, inputs, parts, key, inputIds, cached: false }
  // A step is prepared more than once per run (up front, then by its orchestrator): check and say it once.
  const rejections = rejected.get(host) ?? new Map<string, string>()
  rejected.set(host, rejections)
  let cacheMiss = rejections.get(`${step.id}\0${key}`)
  if (cacheMiss === undefined) {
    const unusable = await unusableOutputs(store, hit.artifacts)
    if (unusable) {
      cacheMiss = `not taken from the cache: ${unusable} — running it again`
      rejections.set(`${step.id}\0${key}`, cacheMiss)
      host.echo?.(`step ${step.id}: ${cacheMiss}`)
    }
  }
  if (cacheMiss) return { definition, custom, inputs, parts, key, inputIds, cached: false }
  recorder.record({
    type: 'step_cached',
    id: randomUUID(),
    step: step.id,
    stepName: step.step,
    at: new Date().toISOString(),
    cacheKey: key,
    cacheParts: parts as unknown as JsonObject,
    cachedFrom: hit.stepRunId,
    inputs: inputIds,
    outputs: hit.outputs,
    ...(step.model ? { modelVersionId: step.model.versionId } : {}),
  })
  await recorder.flush()
  return { definition, custom, inputs, parts, key, inputIds, cached: true }
}

/**
 * Resolves a step from the cache without running it: `true` when it was recorded as cached.
 * Used up front (before an orchestrator is called) and before starting a step process.
 */
export async function resolveFromCache(host: StepRunnerHost, stepId: string): Promise<boolean> {
  const step = host.snapshot.steps.find((candidate) => candidate.id === stepId)
  if (!step?.cache.enabled || !host.findCached) return false
  return (await prepareStep(host, step)).cached
}
