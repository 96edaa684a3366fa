import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import {
  type AnyFlavor,
  ArtifactStoreHost,
  type ArtifactStoreV1,
  type ExperimentTrackerV1,
  hostComponent,
  type PipelineSnapshot,
  redactError,
  StrataError,
  silentLogger,
} from '@strata/core'
import { findFlavorIn, importFlavor } from '../discovery/discover-flavors.js'
import { journalOutcome, readJournal, runKeys } from '../recording/journal.js'
import { orderSecretValues } from '../run/run-secrets.js'
import { checkSnapshotVersion } from '../run/snapshot-version.js'
import { artifactStoreTimeout } from '../stacks/artifact-store-timeout.js'
import type { ArtifactVersionInfo } from '../step/artifact-io.js'
import { type RemotePlan, remoteKeys } from './remote-plan.js'
import { prepareRemoteStep } from './remote-step.js'
import type { BundledStepOptions } from './step-in-bundle.js'
import { STEP_PROCESS_ENV, type StepProcessComponent } from './step-process-env.js'

/**
 * The secret values the orchestrator handed this step process: the resolved secret fields of the run's
 * stack components and the values of the secrets its steps declare. `strata step run` masks them in its
 * own output too.
 */
export function stepProcessSecretValues(env: NodeJS.ProcessEnv = process.env): string[] {
  let handed: unknown
  try {
    handed = JSON.parse(env[STEP_PROCESS_ENV.secrets] ?? '[]')
  } catch {
    throw new StrataError(
      'STEP_PROCESS_ENVIRONMENT',
      `${STEP_PROCESS_ENV.secrets} is not a JSON array — step processes are started by an orchestrator, which hands over the run's secret values`,
    )
  }
  return orderSecretValues(
    Array.isArray(handed) ? handed.filter((value): value is string => typeof value === 'string') : [],
  )
}

// On globalThis, so that the step process finds the plugins the runtime bundle carries whichever copy
// of this module asks.
const BUNDLED_PLUGINS = Symbol.for('strata.bundled-plugins')

/**
 * Hands the self-contained runtime's plugins to step processes: a component whose `entry` is among them
 * is created from the bundled module instead of being imported from disk (a pod has no node_modules).
 */
export function registerBundledPlugins(plugins: Record<string, Record<string, unknown>>): void {
  ;(globalThis as Record<symbol, unknown>)[BUNDLED_PLUGINS] = plugins
}

function bundledPlugin(entry: string): Record<string, unknown> | undefined {
  return (globalThis as Record<symbol, Record<string, Record<string, unknown>> | undefined>)[
    BUNDLED_PLUGINS
  ]?.[entry]
}

/** Creates the component an orchestrator handed over in `variable` (its config has secrets resolved). */
export async function createFromEnvironment<T>(variable: string): Promise<T | undefined> {
  const raw = process.env[variable]
  if (!raw) return undefined
  const component = JSON.parse(raw) as StepProcessComponent
  const source = { package: component.entry, version: 'step-process', kind: 'builtin' } as const
  const bundled = bundledPlugin(component.entry)
  const flavor: AnyFlavor = bundled
    ? findBundledFlavor(bundled, component)
    : await importFlavor(component.entry, component.type, component.flavor, source)
  const config = flavor.config.parse(component.config)
  return (await flavor.create(config as never, {
    componentName: component.name,
    componentId: component.id,
    dataDir: component.dataDir,
    logger: silentLogger,
  })) as T
}

function findBundledFlavor(module: Record<string, unknown>, component: StepProcessComponent): AnyFlavor {
  const flavor = findFlavorIn(module, component.type, component.flavor)
  if (!flavor) {
    throw new StrataError(
      'INVALID_PLUGIN',
      `the Strata runtime carries ${component.entry}, but it does not export flavor ${component.type}/${component.flavor} — run the pipeline again to rebuild the runtime`,
    )
  }
  return flavor
}

interface CodeBundle {
  modules: BundledStepOptions['modules']
  runBundledStep(options: BundledStepOptions): Promise<{ status: string }>
}

/**
 * Imports the run's code bundle. What fails here is the pipeline's code (or a package it imports that the
 * bundle leaves out), not Strata: the error says which, and what to do.
 * @throws StrataError `STEP_CODE_UNRESOLVED` for a module that cannot be found, `STEP_CODE_FAILED` otherwise
 */
async function importBundle(path: string, stepId: string): Promise<CodeBundle> {
  try {
    return (await import(path)) as CodeBundle
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') {
      throw new StrataError(
        'STEP_CODE_UNRESOLVED',
        `step '${stepId}' cannot load in its own process: ${message} — a step process has the run's code bundle and nothing else; a package the bundle leaves out (native modules, esbuild, tsx, vitest) must be installed where the step runs, or run the step in-process (isolation: inline)`,
        { cause: error },
      )
    }
    throw new StrataError(
      'STEP_CODE_FAILED',
      `step '${stepId}': the pipeline's code failed while it loaded in the step process: ${message} — fix the module (it loads the same way when the run starts)`,
      { cause: error },
    )
  }
}

/**
 * `strata step run --run <uri> --step <id>`: runs one step in this process, in a temporary directory,
 * with nothing but the artifact store: reads the snapshot, the staged inputs and the code bundle from it,
 * and writes a journal the client ingests. Resolves with the exit code.
 */
export async function runStepProcess(argv: string[], workDir: string = process.cwd()): Promise<number> {
  const secretValues = stepProcessSecretValues()
  try {
    return await runStepInProcess(argv, workDir, secretValues)
  } catch (error) {
    // Whoever prints this (the CLI, the SDK's runner, a pod's log) must not print a secret with it.
    throw redactError(error, secretValues)
  }
}

async function runStepInProcess(argv: string[], workDir: string, secretValues: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      run: { type: 'string' },
      step: { type: 'string' },
      'one-attempt': { type: 'boolean' },
      prepare: { type: 'boolean' },
    },
    strict: true,
  })
  if (!values.run || !values.step) {
    throw new StrataError(
      'INVALID_ARGUMENTS',
      'usage: strata step run --run <run uri> --step <step id> [--one-attempt] [--prepare]',
    )
  }
  process.env[STEP_PROCESS_ENV.marker] = '1'
  const raw = await createFromEnvironment<ArtifactStoreV1>(STEP_PROCESS_ENV.artifactStore)
  if (!raw) {
    throw new StrataError(
      'STEP_PROCESS_ENVIRONMENT',
      `${STEP_PROCESS_ENV.artifactStore} is not set — step processes are started by an orchestrator, which hands over the artifact store`,
    )
  }
  const store = new ArtifactStoreHost(raw, {
    name: 'artifact_store',
    flavor: 'step-process',
    ...artifactStoreTimeout(),
  })
  const runId = /\/runs\/([^/]+)\/?$/.exec(values.run)?.[1]
  if (!runId || !values.run.startsWith(store.uri)) {
    throw new StrataError(
      'INVALID_ARGUMENTS',
      `run URI ${values.run} is not a run in artifact store ${store.uri}`,
    )
  }
  const snapshot = JSON.parse(await store.readText(runKeys.snapshot(runId))) as PipelineSnapshot
  checkSnapshotVersion(snapshot, `step '${values.step}' of run ${runId}`)
  let attempt: number | undefined
  if (values['one-attempt']) {
    const earlier = await readJournal(store, runId, values.step)
    // A pod the Job started after the step's last attempt ended (its backoff margin): nothing left to do.
    const ended = journalOutcome(earlier)
    if (ended) return ended.status === 'completed' || ended.status === 'cached' ? 0 : 1
    attempt = 1 + earlier.filter((event) => event.type === 'step_retrying').length
    const step = snapshot.steps.find((candidate) => candidate.id === values.step)
    // The step's retry delay, before the attempt the orchestrator started (on top of its own backoff).
    if (attempt > 1 && step) await sleep(step.retry.delay * step.retry.backoff ** (attempt - 2))
  }
  // No driver staged this step (Kubeflow runs the DAG itself): stage its inputs and resolve the cache here.
  if (values.prepare && (attempt ?? 1) === 1) {
    const plan = JSON.parse(await store.readText(remoteKeys.plan(runId))) as RemotePlan
    const cached = await prepareRemoteStep({ store, snapshot, plan, stepId: values.step, writer: 'step' })
    if (cached) return 0
  }
  const inputs = JSON.parse(await store.readText(runKeys.stepInputs(runId, values.step))) as Record<
    string,
    ArtifactVersionInfo
  >
  const bundlePath = join(workDir, 'bundle.mjs')
  await writeFile(bundlePath, await store.readBytes(snapshot.code.bundleKey ?? runKeys.bundle(runId)))
  const bundle = await importBundle(bundlePath, values.step)
  const controller = new AbortController()
  // SIGTERM from the orchestrator, SIGINT from a Ctrl-C that reached the whole process group: either way
  // the step is stopped through its signal and the process journals that before it exits.
  for (const name of ['SIGTERM', 'SIGINT'] as const) {
    process.once(name, () => controller.abort(new Error(`the step process received ${name}`)))
  }
  // The orchestrator may be gone (killed): the step still finishes and journals; its echo has no reader.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {})
  const trackerVariable = STEP_PROCESS_ENV.experimentTracker
  const outcome = await bundle.runBundledStep({
    modules: bundle.modules,
    snapshot,
    stepId: values.step,
    store: raw,
    inputs,
    ...(process.env[trackerVariable]
      ? {
          experimentTracker: async () => {
            const tracker = await createFromEnvironment<ExperimentTrackerV1>(trackerVariable)
            if (!tracker) return undefined
            const component = JSON.parse(process.env[trackerVariable] ?? '{}') as StepProcessComponent
            return hostComponent(
              tracker,
              { type: 'experiment_tracker', name: component.name, flavor: component.flavor },
              { hostResultsOf: ['startStep', 'startPipelineRun'] },
            )
          },
        }
      : {}),
    echo: (line) => process.stdout.write(`${line}\n`),
    signal: controller.signal,
    secretValues,
    ...(attempt === undefined ? {} : { attempt }),
  })
  await store.close()
  return outcome.status === 'completed' ? 0 : 1
}
