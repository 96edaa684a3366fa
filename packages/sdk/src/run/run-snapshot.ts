import { randomBytes } from 'node:crypto'
import { relative } from 'node:path'
import {
  type ModelReference,
  type PipelineSnapshot,
  type ResolvedModel,
  SNAPSHOT_SCHEMA_VERSION,
  type StepSnapshot,
  StrataError,
} from '@strata/core'
import type { ArtifactVersionRecord } from '@strata/store'
import type { ModuleFingerprint } from '../cache/code-fingerprint.js'
import type { CompiledPipeline, PipelineDefinition } from '../compiler/compile.js'
import { runKeys } from '../recording/journal.js'
import type { RunEnvironment } from './run-environment.js'

/** `training-2026_11_22-19_41_32-9c9ae5`, ZenML's run name shape. */
export function defaultRunName(pipelineName: string): string {
  const stamp = new Date()
    .toISOString()
    .replace(/\.\d+Z$/, '')
    .replaceAll('-', '_')
    .replace('T', '-')
    .replaceAll(':', '_')
  return `${pipelineName}-${stamp}-${randomBytes(3).toString('hex')}`
}

function relativeModule(root: string, module: string | undefined, fallback: string): string {
  return module ? relative(root, module).split('\\').join('/') : fallback
}

/** The snapshot an orchestrator receives: the compiled pipeline with code, models and stack resolved. */
export function buildSnapshot(
  pipeline: PipelineDefinition,
  compiled: CompiledPipeline,
  environment: RunEnvironment,
  run: { id: string; name: string },
  fingerprints: Map<string, ModuleFingerprint>,
  artifactInputs: Map<string, ArtifactVersionRecord>,
  resolveModel: (reference: ModelReference | undefined) => ResolvedModel | undefined,
): PipelineSnapshot {
  const root = environment.projectRoot
  const modules: PipelineSnapshot['code']['modules'] = {}
  const steps: StepSnapshot[] = compiled.steps.map((step) => {
    const module = relativeModule(root, step.definition.module, `<unknown>/${step.definition.name}`)
    const fingerprint = step.definition.module ? fingerprints.get(step.definition.module) : undefined
    if (fingerprint) modules[module] = fingerprint
    const inputs: StepSnapshot['inputs'] = {}
    for (const [name, input] of Object.entries(step.inputs)) {
      if (input.kind === 'step') inputs[name] = input
      else {
        const reference = `${input.name}@${input.version ?? 'latest'}`
        const version = artifactInputs.get(reference)
        if (!version) {
          throw new StrataError(
            'ARTIFACT_NOT_FOUND',
            `step '${step.id}': artifact input ${reference} was not resolved before the run's snapshot was built — this is a bug in @strata/sdk, please report it`,
          )
        }
        inputs[name] = {
          kind: 'artifact',
          artifactVersionId: version.id,
          name: version.name,
          version: version.version,
        }
      }
    }
    const model = resolveModel(step.model)
    return {
      id: step.id,
      step: step.definition.name,
      source: { module },
      inputs,
      parameters: step.parameters,
      upstream: step.upstream,
      outputs: step.outputs,
      settings: step.settings,
      retry: step.retry,
      cache: step.cache,
      // Without a module (e.g. defined in an eval), the function's source stands in for its code.
      codeFingerprint:
        fingerprint?.digest ??
        `function:${step.definition.fn.toString().length}:${step.definition.fn.toString()}`,
      experimentTracker: step.experimentTracker !== false,
      ...(model ? { model } : {}),
      env: step.env,
      secrets: step.secrets,
    }
  })
  const components = {
    orchestrator: {
      name: environment.components.orchestrator.name,
      flavor: environment.components.orchestrator.flavor,
    },
    artifact_store: {
      name: environment.components.artifact_store.name,
      flavor: environment.components.artifact_store.flavor,
    },
    ...(environment.components.experiment_tracker
      ? {
          experiment_tracker: {
            name: environment.components.experiment_tracker.name,
            flavor: environment.components.experiment_tracker.flavor,
          },
        }
      : {}),
  }
  const model = resolveModel(compiled.model)
  return {
    schemaVersion: SNAPSHOT_SCHEMA_VERSION,
    runId: run.id,
    runName: run.name,
    pipeline: { name: compiled.pipelineName, parameters: compiled.parameters },
    steps,
    failureMode: compiled.failureMode,
    settings: compiled.settings,
    stack: { name: environment.stackName, components },
    code: {
      root,
      modules,
      ...(pipeline.module ? { pipelineModule: relativeModule(root, pipeline.module, '') } : {}),
      bundleKey: runKeys.bundle(run.id),
    },
    ...(model ? { model } : {}),
    createdAt: new Date().toISOString(),
  }
}
