import { randomUUID } from 'node:crypto'
import type { JsonObject, ModelReference, PipelineSnapshot, RemoteRunStaging } from '@strata/core'
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

/** A compiled pipeline on an open stack: what a template is made from. */
export interface TemplateOptions {
  environment: RunEnvironment
  pipeline: PipelineDefinition
  compiled: CompiledPipeline
  fingerprints: Map<string, ModuleFingerprint>
  artifactInputs: Map<string, ArtifactVersionRecord>
  output: RunOutput | undefined
}

export interface SchedulePipelineOptions extends TemplateOptions {
  schedule: ScheduleConfig
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

/** A template staged under `schedules/<id>/`, which the orchestrator starts runs from. */
interface Template {
  id: string
  name: string
  snapshot: PipelineSnapshot
  stage(): Promise<RemoteRunStaging>
}

/**
 * A pipeline's template: its snapshot (models resolved now), and how to stage it (snapshot, code bundle, the
 * plan its runs need) under `schedules/<id>/` in the artifact store.
 */
async function pipelineTemplate(
  options: TemplateOptions,
  name: string | undefined,
  what: string,
): Promise<Template> {
  const { environment, compiled } = options
  refuseNewModelVersions(compiled)
  const id = randomUUID()
  const chosen = name ?? `${compiled.pipelineName}-${id.slice(0, 8)}`
  if (await environment.repositories.schedules.find(chosen)) {
    throw new StrataError(
      'SCHEDULE_EXISTS',
      `${what} '${chosen}' exists — pick another name, or delete it first`,
    )
  }
  const snapshot: PipelineSnapshot = await environment.repositories.transaction(async (tx) =>
    buildSnapshot(
      options.pipeline,
      compiled,
      environment,
      { id, name: chosen },
      options.fingerprints,
      options.artifactInputs,
      await resolveModels(tx, compiled),
    ),
  )
  snapshot.code.bundleKey = remoteKeys.scheduleBundle(id)
  const session = new RunSession({
    environment,
    snapshot,
    definitions: new Map(compiled.steps.map((step) => [step.id, step.definition])),
    pipeline: options.pipeline,
    output: options.output,
    secretValues: await runSecretValues(environment, snapshot),
  })
  const store = environment.artifactStore
  const uri = `${store.uri.replace(/\/$/, '')}/${remoteKeys.schedule(id).replace(/\/$/, '')}`
  return {
    id,
    name: chosen,
    snapshot,
    stage: async () => {
      await codeBundleStager(session)()
      await store.write(remoteKeys.scheduleSnapshot(id), JSON.stringify(snapshot))
      const plan = await buildRemotePlan(session, new Set())
      await store.write(remoteKeys.schedulePlan(id), JSON.stringify(plan))
      return remoteStaging(session, uri, 'schedule')
    },
  }
}

/** Records a template the orchestrator now keeps; if that fails, the orchestrator's object goes too. */
async function recordTemplate(
  options: TemplateOptions,
  template: Template,
  handle: JsonObject,
  schedule: { cron: string | null; timeZone: string | null },
): Promise<void> {
  const { environment } = options
  await environment.repositories.schedules
    .create({
      id: template.id,
      name: template.name,
      pipelineName: options.compiled.pipelineName,
      stackName: environment.stackName,
      orchestrator: environment.components.orchestrator.name,
      artifactStoreUri: environment.artifactStore.uri,
      ...schedule,
      handle,
    })
    .catch(async (error: unknown) => {
      await environment.orchestrator.schedules?.delete(handle).catch(() => {})
      throw error
    })
}

/**
 * Hands a pipeline to its stack's orchestrator as a schedule (a Kubernetes CronJob): stages its template,
 * creates the schedule, and records it. Each tick starts a fresh run from the template; `strata pipeline
 * runs sync` brings those runs into the store.
 * @throws StrataError `SCHEDULE_UNSUPPORTED` when the orchestrator keeps no schedules
 */
export async function schedulePipeline(options: SchedulePipelineOptions): Promise<PipelineRun> {
  const { environment, compiled, schedule } = options
  const orchestrator = environment.components.orchestrator
  const schedules = environment.orchestrator.schedules
  if (!schedules) {
    throw new StrataError(
      'SCHEDULE_UNSUPPORTED',
      `orchestrator '${orchestrator.name}' (${orchestrator.flavor}) of stack '${environment.stackName}' cannot run pipelines on a schedule — use a stack whose orchestrator can (kubernetes, kubeflow), or run without schedule`,
    )
  }
  const template = await pipelineTemplate(options, schedule.name, 'schedule')
  const info = await schedules.create(template.snapshot, {
    logger: environment.logger,
    scheduleId: template.id,
    name: template.name,
    cron: schedule.cron,
    ...(schedule.timeZone ? { timeZone: schedule.timeZone } : {}),
    stage: template.stage,
  })
  await recordTemplate(options, template, info.handle, {
    cron: schedule.cron,
    timeZone: schedule.timeZone ?? null,
  })
  options.output?.(
    `schedule ${template.name}: pipeline '${compiled.pipelineName}' runs on '${schedule.cron}'${schedule.timeZone ? ` (${schedule.timeZone})` : ''} on stack '${environment.stackName}' — its runs appear after 'strata pipeline runs sync'; delete it with 'strata pipeline schedule delete ${template.name}'`,
  )
  return {
    id: template.id,
    name: template.name,
    pipelineName: compiled.pipelineName,
    status: 'scheduled',
    steps: {},
  }
}

/** A pipeline exported in an orchestrator's own format, and the template its hand-started runs use. */
export interface ExportedPipeline {
  /** The export's record (`strata pipeline schedule list` shows it; `schedule delete` removes it). */
  id: string
  name: string
  format: string
  content: string
}

/**
 * Exports a pipeline for hand submission (a KFP pipeline YAML for Kubeflow's UI): stages its template as a
 * schedule's, asks the orchestrator for the document, and records the export so that `runs sync` finds the
 * runs started from it.
 * @throws StrataError `EXPORT_UNSUPPORTED` when the orchestrator has no such format
 */
export async function exportPipeline(
  options: TemplateOptions & { format: string; name?: string },
): Promise<ExportedPipeline> {
  const { environment } = options
  const orchestrator = environment.components.orchestrator
  const exporter = environment.orchestrator.export
  if (!exporter) {
    throw new StrataError(
      'EXPORT_UNSUPPORTED',
      `orchestrator '${orchestrator.name}' (${orchestrator.flavor}) of stack '${environment.stackName}' cannot export pipelines — use a stack whose orchestrator can (kubeflow: --format kfp)`,
    )
  }
  const template = await pipelineTemplate(options, options.name, 'export')
  const exported = await exporter.call(environment.orchestrator, template.snapshot, {
    logger: environment.logger,
    scheduleId: template.id,
    name: template.name,
    format: options.format,
    stage: template.stage,
  })
  await recordTemplate(options, template, exported.handle, { cron: null, timeZone: null })
  return { id: template.id, name: template.name, format: options.format, content: exported.content }
}
