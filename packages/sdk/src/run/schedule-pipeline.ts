import { randomUUID } from 'node:crypto'
import type { ModelReference, PipelineSnapshot } from '@strata/core'
import { StrataError } from '@strata/core'
import type { ArtifactVersionRecord } from '@strata/store'
import type { ModuleFingerprint } from '../cache/code-fingerprint.js'
import type { CompiledPipeline, PipelineDefinition } from '../compiler/compile.js'
import type { ScheduleConfig } from '../compiler/run-config.js'
import { remoteKeys } from '../process/remote-plan.js'
import { codeBundleStager } from './orchestrator-context.js'
import { buildRemotePlan } from './remote-plan-builder.js'
import { remoteStaging } from './remote-run.js'
import type { RunEnvironment } from './run-environment.js'
import { resolveModels } from './run-models.js'
import type { RunOutput } from './run-progress.js'
import type { PipelineRun } from './run-result.js'
import { runSecretValues } from './run-secrets.js'
import { RunSession } from './run-session.js'
import { buildSnapshot } from './run-snapshot.js'

export interface SchedulePipelineOptions {
  environment: RunEnvironment
  pipeline: PipelineDefinition
  compiled: CompiledPipeline
  fingerprints: Map<string, ModuleFingerprint>
  artifactInputs: Map<string, ArtifactVersionRecord>
  schedule: ScheduleConfig
  output: RunOutput | undefined
}

/** Scheduled runs start in the cluster, where no metadata store can make a model version. */
function refuseNewModelVersions(compiled: CompiledPipeline): void {
  const references: Array<ModelReference | undefined> = [
    compiled.model,
    ...compiled.steps.map((step) => step.model),
  ]
  const creating = references.find((reference) => reference && reference.version === undefined)
  if (creating) {
    throw new StrataError(
      'SCHEDULE_NEW_MODEL_VERSION',
      `pipeline '${compiled.pipelineName}' makes a new version of model '${creating.name}' each run, which a scheduled run cannot (it starts in the cluster, away from the metadata store) — name a version or stage (model: { name, version: 'production' }), or run it without a schedule`,
    )
  }
}

/**
 * Hands a pipeline to its stack's orchestrator as a schedule (a Kubernetes CronJob): stages its template
 * (snapshot, code bundle, the plan its runs need) under `schedules/<id>/` in the artifact store, creates the
 * schedule, and records it. Each tick starts a fresh run from the template; `strata pipeline runs sync`
 * brings those runs into the store.
 * @throws StrataError `SCHEDULE_UNSUPPORTED` when the orchestrator keeps no schedules
 */
export async function schedulePipeline(options: SchedulePipelineOptions): Promise<PipelineRun> {
  const { environment, compiled, schedule } = options
  const orchestrator = environment.components.orchestrator
  const schedules = environment.orchestrator.schedules
  if (!schedules) {
    throw new StrataError(
      'SCHEDULE_UNSUPPORTED',
      `orchestrator '${orchestrator.name}' (${orchestrator.flavor}) of stack '${environment.stackName}' cannot run pipelines on a schedule — use a stack whose orchestrator can (kubernetes), or run without schedule`,
    )
  }
  refuseNewModelVersions(compiled)
  const id = randomUUID()
  const name = schedule.name ?? `${compiled.pipelineName}-${id.slice(0, 8)}`
  if (await environment.repositories.schedules.find(name)) {
    throw new StrataError(
      'SCHEDULE_EXISTS',
      `schedule '${name}' exists — pick another name, or delete it first`,
    )
  }
  const template: PipelineSnapshot = await environment.repositories.transaction(async (tx) => ({
    ...buildSnapshot(
      options.pipeline,
      compiled,
      environment,
      { id, name },
      options.fingerprints,
      options.artifactInputs,
      await resolveModels(tx, compiled),
    ),
  }))
  template.code.bundleKey = remoteKeys.scheduleBundle(id)
  const session = new RunSession({
    environment,
    snapshot: template,
    definitions: new Map(compiled.steps.map((step) => [step.id, step.definition])),
    pipeline: options.pipeline,
    output: options.output,
    secretValues: await runSecretValues(environment, template),
  })
  const store = environment.artifactStore
  const uri = `${store.uri.replace(/\/$/, '')}/${remoteKeys.schedule(id).replace(/\/$/, '')}`
  const info = await schedules.create(template, {
    logger: environment.logger,
    scheduleId: id,
    name,
    cron: schedule.cron,
    ...(schedule.timeZone ? { timeZone: schedule.timeZone } : {}),
    stage: async () => {
      await codeBundleStager(session)()
      await store.write(remoteKeys.scheduleSnapshot(id), JSON.stringify(template))
      const plan = await buildRemotePlan(session, new Set())
      await store.write(remoteKeys.schedulePlan(id), JSON.stringify(plan))
      return remoteStaging(session, uri, 'schedule')
    },
  })
  // The schedule exists in the cluster now: if it cannot be recorded, it goes, or it would run unseen.
  await environment.repositories.schedules
    .create({
      id,
      name,
      pipelineName: compiled.pipelineName,
      stackName: environment.stackName,
      orchestrator: orchestrator.name,
      artifactStoreUri: store.uri,
      cron: schedule.cron,
      timeZone: schedule.timeZone ?? null,
      handle: info.handle,
    })
    .catch(async (error: unknown) => {
      await schedules.delete(info.handle).catch(() => {})
      throw error
    })
  options.output?.(
    `schedule ${name}: pipeline '${compiled.pipelineName}' runs on '${schedule.cron}'${schedule.timeZone ? ` (${schedule.timeZone})` : ''} on stack '${environment.stackName}' — its runs appear after 'strata pipeline runs sync'; delete it with 'strata pipeline schedule delete ${name}'`,
  )
  return { id, name, pipelineName: compiled.pipelineName, status: 'scheduled', steps: {} }
}
