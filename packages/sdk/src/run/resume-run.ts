import { join, relative } from 'node:path'
import { pathToFileURL } from 'node:url'
import { type ArtifactVersionInfo, type PipelineSnapshot, StrataError } from '@strata/core'
import { fingerprintModules } from '../cache/code-fingerprint.js'
import type { PipelineDefinition } from '../compiler/compile.js'
import { isPipeline } from '../dsl/pipeline.js'
import { isStep, type StepDefinition } from '../dsl/step.js'
import { importingPipelines } from '../process/step-process-env.js'
import { unusableOutputs } from '../step/step-cache.js'
import type { RunEnvironment } from './run-environment.js'
import { artifactInfo } from './run-models.js'
import { abandonedReason, currentOwner } from './run-owner.js'
import { executeRun, type PipelineRun } from './run-pipeline.js'
import type { RunOutput } from './run-progress.js'
import { checkSnapshotVersion } from './snapshot-version.js'

export type ModuleImporter = (path: string) => Promise<Record<string, unknown>>

const importByPath: ModuleImporter = (path) =>
  importingPipelines(() => import(pathToFileURL(path).href) as Promise<Record<string, unknown>>)

/**
 * Finds a run's steps (and its pipeline) among the exports of the modules its snapshot names.
 * @throws StrataError `STEP_NOT_EXPORTED` when a module no longer exports a step
 */
export async function loadRunDefinitions(
  snapshot: PipelineSnapshot,
  importModule: ModuleImporter = importByPath,
): Promise<{ definitions: Map<string, StepDefinition>; pipeline: PipelineDefinition }> {
  const namespaces = new Map<string, Record<string, unknown>>()
  const load = async (module: string): Promise<Record<string, unknown>> => {
    let namespace = namespaces.get(module)
    if (!namespace) {
      namespace = await importModule(join(snapshot.code.root, module))
      namespaces.set(module, namespace)
    }
    return namespace
  }
  const definitions = new Map<string, StepDefinition>()
  for (const step of snapshot.steps) {
    const exported = Object.values(await load(step.source.module)).find(
      (value) => isStep(value) && value.definition.name === step.step,
    )
    if (!isStep(exported)) {
      throw new StrataError(
        'STEP_NOT_EXPORTED',
        `step '${step.step}' is no longer exported from ${step.source.module} — restore the export (steps must be module-level exports) to resume this run`,
      )
    }
    definitions.set(step.id, exported.definition)
  }
  const pipelineModule = snapshot.code.pipelineModule
  const found = pipelineModule
    ? Object.values(await load(pipelineModule)).find(
        (value) => isPipeline(value) && value.name === snapshot.pipeline.name,
      )
    : undefined
  const pipeline: PipelineDefinition = isPipeline(found)
    ? found.definition
    : { name: snapshot.pipeline.name, params: undefined, body: () => {}, config: {}, module: undefined }
  return { definitions, pipeline }
}

/**
 * A done step whose outputs feed a step that runs again must still have them: one whose outputs are gone
 * or damaged (see `unusableOutputs`) runs again too, and so on upstream. The run says why.
 */
async function redoLostOutputs(
  environment: RunEnvironment,
  runId: string,
  snapshot: PipelineSnapshot,
  done: Set<string>,
  say: RunOutput | undefined,
): Promise<void> {
  const { runs, artifacts } = environment.repositories
  const byId = new Map(snapshot.steps.map((step) => [step.id, step]))
  const checked = new Set<string>()
  const pending = snapshot.steps.filter((step) => !done.has(step.id))
  for (let step = pending.pop(); step; step = pending.pop()) {
    for (const input of Object.values(step.inputs)) {
      if (input.kind !== 'step' || !done.has(input.step) || checked.has(input.step)) continue
      checked.add(input.step)
      const stepRun = await runs.stepRun(runId, input.step)
      if (!stepRun) continue
      const outputs: Record<string, ArtifactVersionInfo> = {}
      for (const [output, id] of Object.entries(await runs.stepArtifacts(stepRun.id, 'output')))
        outputs[output] = artifactInfo(await artifacts.requireVersionById(id))
      const unusable = await unusableOutputs(environment.artifactStore, outputs)
      const upstream = byId.get(input.step)
      if (!unusable || !upstream) continue
      say?.(`step ${input.step}: runs again: ${unusable}`)
      done.delete(input.step)
      pending.push(upstream)
    }
  }
}

export interface ResumeOptions {
  importModule?: ModuleImporter
  /** Where to print step logs and progress (see `RunOptions.output`). */
  output?: RunOutput
  signal?: AbortSignal
}

/**
 * Resumes a failed or stopped run in place: completed and cached steps stay, the failed steps and
 * everything after them run again (with the code as it is now; unchanged steps may come from the cache).
 * @throws StrataError `RUN_STILL_RUNNING` or `RUN_ALREADY_COMPLETED`
 */
export async function resumeRun(
  environment: RunEnvironment,
  reference: string,
  options: ResumeOptions = {},
): Promise<PipelineRun> {
  const { runs } = environment.repositories
  const run = await runs.require(reference)
  if ((run.status === 'running' || run.status === 'initializing') && !abandonedReason(run)) {
    throw new StrataError(
      'RUN_STILL_RUNNING',
      `run ${run.name} is still running (pid ${run.owner.pid} on ${run.owner.host}) — wait for it, or stop it first`,
    )
  }
  if (run.status === 'completed') {
    throw new StrataError(
      'RUN_ALREADY_COMPLETED',
      `run ${run.name} completed — there is nothing to resume; start a new run instead`,
    )
  }
  const snapshot = await runs.snapshot<PipelineSnapshot>(run.id)
  checkSnapshotVersion(snapshot, `resuming run ${run.name}`)
  const done = new Set(
    (await runs.stepRuns(run.id))
      .filter((step) => step.status === 'completed' || step.status === 'cached')
      .map((step) => step.name),
  )
  await redoLostOutputs(environment, run.id, snapshot, done, options.output)
  const { definitions, pipeline } = await loadRunDefinitions(snapshot, options.importModule)
  // The code may have been fixed since: fingerprint the modules of the steps that will run again.
  const pending = snapshot.steps.filter((step) => !done.has(step.id))
  const modules = [
    ...new Set(
      pending.map((step) => definitions.get(step.id)?.module).filter((m): m is string => m !== undefined),
    ),
  ]
  const fingerprints = await fingerprintModules(modules, environment.projectRoot)
  for (const step of pending) {
    const module = definitions.get(step.id)?.module
    const fingerprint = module ? fingerprints.get(module) : undefined
    if (!fingerprint || !module) continue
    step.codeFingerprint = fingerprint.digest
    snapshot.code.modules[relative(snapshot.code.root, module).split('\\').join('/')] = fingerprint
  }
  await runs.reopen(run.id, currentOwner())
  return executeRun({
    environment,
    snapshot,
    definitions,
    pipeline,
    done,
    output: options.output,
    signal: options.signal,
  })
}
