import {
  ArtifactStoreHost,
  type ArtifactStoreV1,
  type ExperimentTrackerV1,
  type PipelineSnapshot,
  type StepOutcome,
  StrataError,
} from '@strata/core'
import { isPipeline } from '../dsl/pipeline.js'
import { isStep, type StepDefinition } from '../dsl/step.js'
import { JournalRecorder } from '../recording/journal.js'
import { orderSecretValues, redactorOf } from '../run/run-secrets.js'
import { checkSnapshotVersion } from '../run/snapshot-version.js'
import { artifactStoreTimeout } from '../stacks/artifact-store-timeout.js'
import type { ArtifactVersionInfo } from '../step/artifact-io.js'
import { runStep } from '../step/step-runner.js'

export interface BundledStepOptions {
  /** The bundle's step modules: relative path → module namespace. */
  modules: Record<string, Record<string, unknown>>
  snapshot: PipelineSnapshot
  stepId: string
  /** The artifact store, created by the process that imported the bundle. */
  store: ArtifactStoreV1
  inputs: Record<string, ArtifactVersionInfo>
  experimentTracker?: () => Promise<ExperimentTrackerV1 | undefined>
  echo?: (line: string) => void
  signal?: AbortSignal
  /** The run's secret values (handed over by the orchestrator): masked in the step's log, journal and echo. */
  secretValues?: readonly string[]
  /** Make only this attempt (the orchestrator owns retries). */
  attempt?: number
}

/**
 * Runs one step inside a step process from the code bundle: finds the step among its module's exports,
 * records through a journal in the artifact store (the process has no metadata store).
 */
export async function runBundledStep(options: BundledStepOptions): Promise<StepOutcome> {
  const { snapshot, stepId } = options
  checkSnapshotVersion(snapshot, `step '${stepId}' (code bundle)`)
  const step = snapshot.steps.find((candidate) => candidate.id === stepId)
  if (!step) throw new StrataError('UNKNOWN_STEP', `run ${snapshot.runName} has no step '${stepId}'`)
  const exports = Object.values(options.modules[step.source.module] ?? {})
  const found = exports.find((value) => isStep(value) && value.definition.name === step.step)
  const pipelineExport = Object.values(options.modules)
    .flatMap(Object.values)
    .find((value) => isPipeline(value) && value.name === snapshot.pipeline.name)
  const store = new ArtifactStoreHost(options.store, {
    name: snapshot.stack.components.artifact_store?.name ?? 'artifact_store',
    flavor: snapshot.stack.components.artifact_store?.flavor ?? 'unknown',
    ...artifactStoreTimeout(),
  })
  const definition = (): StepDefinition => {
    if (!isStep(found)) {
      throw new StrataError(
        'STEP_NOT_EXPORTED',
        `step '${step.step}' is not exported from ${step.source.module} — steps must be module-level exports (export const ${step.step} = step(...))`,
      )
    }
    return found.definition
  }
  return runStep(
    {
      snapshot,
      store,
      recorder: new JournalRecorder(store, snapshot.runId, stepId),
      definition,
      inputs: async () => options.inputs,
      materializers: isPipeline(pipelineExport) ? (pipelineExport.definition.config.materializers ?? []) : [],
      ...(options.experimentTracker ? { experimentTracker: options.experimentTracker } : {}),
      ...(options.echo ? { echo: options.echo } : {}),
      redact: redactorOf(orderSecretValues(options.secretValues ?? [])),
    },
    stepId,
    options.signal ?? new AbortController().signal,
    options.attempt === undefined ? {} : { attempt: options.attempt },
  )
}
