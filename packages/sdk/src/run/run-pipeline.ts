import { randomUUID } from 'node:crypto'
import { StrataError } from '@strata/core'
import type { ArtifactVersionRecord } from '@strata/store'
import { fingerprintModules } from '../cache/code-fingerprint.js'
import { compilePipeline, type PipelineDefinition } from '../compiler/compile.js'
import { loadRunConfig, parseRunConfig, type RunConfig } from '../compiler/run-config.js'
import { findProjectRoot } from '../discovery/project-root.js'
import { importingModules, insideStepProcess } from '../process/step-process-env.js'
import { executeRun } from './execute-run.js'
import type { RunEnvironment } from './run-environment.js'
import { resolveModels } from './run-models.js'
import { currentOwner, reconcileAbandonedRuns } from './run-owner.js'
import type { RunOutput } from './run-progress.js'
import type { PipelineRun } from './run-result.js'
import { buildSnapshot, defaultRunName } from './run-snapshot.js'
import {
  type ExportedPipeline,
  exportPipeline,
  schedulePipeline,
  type TemplateOptions,
} from './schedule-pipeline.js'

export { executeRun } from './execute-run.js'
export type { PipelineRun } from './run-result.js'

export interface RunOptions extends Omit<RunConfig, 'parameters'> {
  /** The pipeline's parameters (beat the run config file's `parameters`). */
  params?: Record<string, unknown>
  /** A run configuration file (YAML), or the configuration itself. */
  config?: string | RunConfig
  /** Use this environment (store + stack) instead of opening the active one. */
  environment?: RunEnvironment
  /**
   * Where to print step logs and progress; `false` keeps the run quiet. Progress lines come with their
   * structured state as a second argument (a terminal can draw a live view from it).
   * @default process.stdout
   */
  output?: RunOutput | false
  /**
   * Stops the run when aborted. The SDK installs no signal handler of its own: an application decides what
   * Ctrl-C means (the CLI aborts this on SIGINT and SIGTERM).
   */
  signal?: AbortSignal
}

/** How long a run's lease lasts without renewal (the run renews it every 10 s). */
const LEASE_MS = 60_000

function checkTrackerUse(
  steps: ReadonlyArray<{ id: string; experimentTracker: boolean | string }>,
  environment: RunEnvironment,
): void {
  for (const step of steps) {
    if (step.experimentTracker === false) continue
    const tracker = environment.components.experiment_tracker
    if (!tracker) {
      throw new StrataError(
        'NO_EXPERIMENT_TRACKER',
        `step '${step.id}' asks for an experiment tracker, but stack '${environment.stackName}' has none — add one with 'strata stack update ${environment.stackName} -e NAME', or drop experimentTracker from the step`,
      )
    }
    if (typeof step.experimentTracker === 'string' && step.experimentTracker !== tracker.name) {
      throw new StrataError(
        'NO_EXPERIMENT_TRACKER',
        `step '${step.id}' asks for experiment tracker '${step.experimentTracker}', but stack '${environment.stackName}' has '${tracker.name}' — switch stacks or change the step's experimentTracker`,
      )
    }
  }
}

/** A pipeline compiled for a stack: what a run, a schedule or an export is made from. */
interface PreparedPipeline extends TemplateOptions {
  args: RunConfig
  file: { config: RunConfig; source: string } | undefined
  /** Closes the environment when this call opened it. */
  close(): Promise<void>
}

/**
 * Compiles a pipeline with its run configuration, opens the stack (unless given), fingerprints the code
 * (while the store opens) and resolves `artifact()` inputs.
 */
async function preparePipeline(pipeline: PipelineDefinition, options: RunOptions): Promise<PreparedPipeline> {
  const { params, config, environment: given, output, signal: _signal, ...overrides } = options
  const file =
    typeof config === 'string'
      ? { config: await loadRunConfig(config), source: config }
      : config
        ? { config: parseRunConfig(config, 'run() config'), source: 'run() config' }
        : undefined
  const args = parseRunConfig(overrides, 'run() arguments')
  const compiled = compilePipeline(pipeline, {
    ...(params ? { params } : {}),
    ...(file ? { file } : {}),
    args,
  })
  const modules = [
    ...new Set(
      compiled.steps.map((step) => step.definition.module).filter((m): m is string => m !== undefined),
    ),
  ]
  // The code fingerprint (esbuild, a child process on first use) runs while the store opens and the stack
  // is built; the project root is the one openRunEnvironment() settles on.
  const projectRoot = given?.projectRoot ?? findProjectRoot(process.cwd()) ?? process.cwd()
  const fingerprinting = fingerprintModules(modules, projectRoot)
  fingerprinting.catch(() => {})
  const { openRunEnvironment } = await import('./run-environment.js')
  const environment = given ?? (await openRunEnvironment())
  const close = async () => {
    if (!given) await environment.close()
  }
  try {
    await reconcileAbandonedRuns(environment)
    checkTrackerUse(compiled.steps, environment)
    const fingerprints =
      environment.projectRoot === projectRoot
        ? await fingerprinting
        : await fingerprintModules(modules, environment.projectRoot)
    const artifactInputs = new Map<string, ArtifactVersionRecord>()
    for (const step of compiled.steps) {
      for (const input of Object.values(step.inputs)) {
        if (input.kind !== 'artifact') continue
        artifactInputs.set(
          `${input.name}@${input.version ?? 'latest'}`,
          await environment.repositories.artifacts.version(input.name, input.version),
        )
      }
    }
    const say: RunOutput | undefined =
      output === false ? undefined : (output ?? ((line: string) => process.stdout.write(`${line}\n`)))
    return { environment, pipeline, compiled, fingerprints, artifactInputs, output: say, args, file, close }
  } catch (error) {
    await close()
    throw error
  }
}

/**
 * Exports a pipeline in its stack's orchestrator's own format (`strata pipeline export --format kfp`), for
 * users who submit it by hand; see {@link exportPipeline}.
 */
export async function exportPipelineDefinition(
  pipeline: PipelineDefinition,
  options: RunOptions & { format: string; name?: string },
): Promise<ExportedPipeline> {
  const { format, name, ...runOptions } = options
  const prepared = await preparePipeline(pipeline, runOptions)
  try {
    return await exportPipeline({ ...prepared, format, ...(name ? { name } : {}) })
  } finally {
    await prepared.close()
  }
}

/**
 * Compiles and runs a pipeline on the environment's stack: validates configuration, fingerprints code,
 * records the run and its owner, resolves cached steps, and hands the rest to the orchestrator.
 */
export async function runPipeline(
  pipeline: PipelineDefinition,
  options: RunOptions = {},
): Promise<PipelineRun> {
  if (insideStepProcess() || importingModules()) {
    return { id: '', name: '', pipelineName: pipeline.name, status: 'skipped', steps: {} }
  }
  const prepared = await preparePipeline(pipeline, options)
  const { environment, compiled, fingerprints, artifactInputs, args, file, output: say } = prepared
  try {
    const schedule = args.schedule ?? file?.config.schedule
    if (schedule) return await schedulePipeline({ ...prepared, schedule })
    const run = { id: randomUUID(), name: compiled.runName ?? defaultRunName(compiled.pipelineName) }
    const { repositories } = environment
    // Models resolve (or get their new version) in the transaction that records the run.
    const snapshot = await repositories.transaction(async (tx) => {
      const built = buildSnapshot(
        pipeline,
        compiled,
        environment,
        run,
        fingerprints,
        artifactInputs,
        await resolveModels(tx, compiled),
      )
      await tx.runs.create({
        id: run.id,
        name: run.name,
        pipelineName: compiled.pipelineName,
        stackName: environment.stackName,
        artifactStoreUri: environment.artifactStore.uri,
        snapshot: built,
        parameters: compiled.parameters,
        owner: currentOwner(),
        leaseMs: LEASE_MS,
      })
      const versions = new Set([built.model?.versionId, ...built.steps.map((step) => step.model?.versionId)])
      for (const versionId of versions) if (versionId) await tx.models.linkRun(versionId, run.id)
      if (built.model) await tx.runs.setModelVersion(run.id, built.model.versionId)
      return built
    })
    return await executeRun({
      environment,
      snapshot,
      definitions: new Map(compiled.steps.map((step) => [step.id, step.definition])),
      pipeline,
      output: say,
      signal: options.signal,
    })
  } finally {
    await prepared.close()
  }
}
