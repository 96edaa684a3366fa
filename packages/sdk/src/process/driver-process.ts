import { randomUUID } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import {
  ArtifactStoreHost,
  type ArtifactStoreV1,
  type Logger,
  type OrchestratorV1,
  type PipelineSnapshot,
  redactError,
  StrataError,
} from '@strata/core'
import { runKeys } from '../recording/journal.js'
import { redactorOf } from '../run/run-secrets.js'
import { defaultRunName } from '../run/run-snapshot.js'
import { checkSnapshotVersion } from '../run/snapshot-version.js'
import { artifactStoreTimeout } from '../stacks/artifact-store-timeout.js'
import { createDriveContext } from './drive-context.js'
import { type RemotePlan, remoteKeys } from './remote-plan.js'
import { runtimeStepArgs } from './runtime-args.js'
import { createFromEnvironment, stepProcessSecretValues } from './step-process.js'
import { STEP_PROCESS_ENV } from './step-process-env.js'

async function required<T>(variable: string, what: string): Promise<T> {
  const component = await createFromEnvironment<T>(variable)
  if (!component) {
    throw new StrataError(
      'STEP_PROCESS_ENVIRONMENT',
      `${variable} is not set — the driver of a run is started by its orchestrator, which hands over the ${what}`,
    )
  }
  return component
}

/**
 * A template's tick (a schedule's, or an exported pipeline's): the template copied into a fresh run (new id
 * and name), which the driver — or the orchestrator's own DAG — then runs. `handle` (JSON), when given, is
 * recorded as the run's remote handle before the run is marked, so `runs sync` finds it with the run.
 */
async function startScheduledRun(
  store: ArtifactStoreHost,
  scheduleId: string,
  handle?: string,
): Promise<PipelineSnapshot> {
  const template = JSON.parse(
    await store.readText(remoteKeys.scheduleSnapshot(scheduleId)),
  ) as PipelineSnapshot
  const runId = randomUUID()
  const snapshot: PipelineSnapshot = {
    ...template,
    runId,
    runName: defaultRunName(template.pipeline.name),
    createdAt: new Date().toISOString(),
    code: { ...template.code, bundleKey: remoteKeys.scheduleBundle(scheduleId) },
  }
  await store.copy(remoteKeys.schedulePlan(scheduleId), remoteKeys.plan(runId))
  await store.write(runKeys.snapshot(runId), JSON.stringify(snapshot))
  if (handle !== undefined) await store.write(remoteKeys.handle(runId), handle)
  await store.write(remoteKeys.scheduleRun(scheduleId, runId), '')
  return snapshot
}

function idFrom(uri: string, store: ArtifactStoreHost, kind: 'runs' | 'schedules'): string {
  const id = new RegExp(`/${kind}/([^/]+)/?$`).exec(uri)?.[1]
  if (!id || !uri.startsWith(store.uri)) {
    throw new StrataError(
      'INVALID_ARGUMENTS',
      `${uri} is not one of the ${kind} of artifact store ${store.uri}`,
    )
  }
  return id
}

/**
 * `strata-runtime orchestrate --run <uri>` (or `--schedule <uri>`): the driver of a remote run, in the
 * remote environment (an orchestrator pod). Creates the run's orchestrator from what the client handed
 * over and calls its `drive()` with a context that needs nothing but the artifact store.
 */
export async function runDriverProcess(argv: readonly string[]): Promise<number> {
  const secretValues = stepProcessSecretValues()
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: { run: { type: 'string' }, schedule: { type: 'string' } },
      strict: true,
    })
    if (!values.run === !values.schedule) {
      throw new StrataError(
        'INVALID_ARGUMENTS',
        'usage: strata-runtime orchestrate --run <uri> | --schedule <uri>',
      )
    }
    process.env[STEP_PROCESS_ENV.marker] = '1'
    const raw = await required<ArtifactStoreV1>(STEP_PROCESS_ENV.artifactStore, 'artifact store')
    const store = new ArtifactStoreHost(raw, {
      name: 'artifact_store',
      flavor: 'driver',
      ...artifactStoreTimeout(),
    })
    const orchestrator = await required<OrchestratorV1>(STEP_PROCESS_ENV.orchestrator, 'orchestrator')
    if (!orchestrator.drive) {
      throw new StrataError('STEP_PROCESS_ENVIRONMENT', 'the run’s orchestrator cannot drive runs remotely')
    }
    const snapshot = values.schedule
      ? await startScheduledRun(store, idFrom(values.schedule, store, 'schedules'))
      : (JSON.parse(
          await store.readText(runKeys.snapshot(idFrom(values.run ?? '', store, 'runs'))),
        ) as PipelineSnapshot)
    checkSnapshotVersion(snapshot, `run ${snapshot.runName} (driver)`)
    const plan = JSON.parse(await store.readText(remoteKeys.plan(snapshot.runId))) as RemotePlan
    const redact = redactorOf(secretValues)
    const say = (line: string) => console.log(redact(line))
    const logger: Logger = {
      debug: () => {},
      info: say,
      warn: say,
      error: (line) => console.error(redact(line)),
    }
    const controller = new AbortController()
    // A driver being terminated (its pod deleted or evicted) leaves the steps to the next driver, which
    // resumes from their journals: it stops at once rather than stopping them.
    for (const name of ['SIGTERM', 'SIGINT'] as const) {
      process.once(name, () => {
        controller.abort(new Error(`the driver received ${name}`))
        process.exit(name === 'SIGTERM' ? 143 : 130)
      })
    }
    const runUri = `${store.uri.replace(/\/$/, '')}/runs/${snapshot.runId}`
    logger.info(`driving run ${snapshot.runName}: ${snapshot.steps.length} steps`)
    await orchestrator.drive(
      snapshot,
      createDriveContext({
        store,
        snapshot,
        plan,
        logger,
        signal: controller.signal,
        stepArgs: (stepId) => runtimeStepArgs(runUri, stepId),
      }),
    )
    logger.info(`run ${snapshot.runName}: the driver is done`)
    await orchestrator.close?.()
    await store.close()
    return 0
  } catch (error) {
    throw redactError(error, secretValues)
  }
}

/**
 * `strata-runtime start --template <uri> [--run <uri>] [--handle <json>] --output <file>`: the first task of
 * a pipeline whose orchestrator runs the DAG itself (Kubeflow). With `--run` (a run the client staged) it
 * adopts that run; without, it starts a fresh run from the template, recording `--handle` (how the
 * orchestrator finds that run again, a JSON object) as its remote handle. Writes the run's URI to
 * `--output` (the task's output parameter), which every step task then takes.
 */
export async function runStartProcess(argv: readonly string[]): Promise<number> {
  const secretValues = stepProcessSecretValues()
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        template: { type: 'string' },
        run: { type: 'string' },
        handle: { type: 'string' },
        output: { type: 'string' },
      },
      strict: true,
    })
    if (!values.output || (!values.template && !values.run)) {
      throw new StrataError(
        'INVALID_ARGUMENTS',
        'usage: strata-runtime start --template <uri> [--run <uri>] [--handle <json>] --output <file>',
      )
    }
    if (values.handle !== undefined) {
      const handle = (() => {
        try {
          return JSON.parse(values.handle) as unknown
        } catch {
          return undefined
        }
      })()
      if (typeof handle !== 'object' || handle === null || Array.isArray(handle))
        throw new StrataError('INVALID_ARGUMENTS', `--handle must be a JSON object — got ${values.handle}`)
    }
    let uri = values.run
    if (!uri) {
      const raw = await required<ArtifactStoreV1>(STEP_PROCESS_ENV.artifactStore, 'artifact store')
      const store = new ArtifactStoreHost(raw, {
        name: 'artifact_store',
        flavor: 'start',
        ...artifactStoreTimeout(),
      })
      const snapshot = await startScheduledRun(
        store,
        idFrom(values.template ?? '', store, 'schedules'),
        values.handle,
      )
      uri = `${store.uri.replace(/\/$/, '')}/runs/${snapshot.runId}`
      console.log(`started run ${snapshot.runName} from ${values.template}`)
      await store.close()
    }
    await writeFile(values.output, uri)
    return 0
  } catch (error) {
    throw redactError(error, secretValues)
  }
}
