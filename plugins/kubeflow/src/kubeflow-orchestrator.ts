import { setTimeout as sleep } from 'node:timers/promises'
import type { KubeConfig } from '@kubernetes/client-node'
import {
  type ExportContext,
  type OrchestratorRunContext,
  type OrchestratorRunResult,
  type OrchestratorV1,
  type PipelineSnapshot,
  type RemoteRunHandle,
  type RemoteRunStaging,
  type RemoteRunState,
  type ScheduleContext,
  type ScheduleInfo,
  type StepRunState,
  StrataError,
} from '@strata/core'
import { compilePipeline } from './compile-pipeline.js'
import { checkTimeZone, kfpCron } from './cron.js'
import { FINAL_RUN_STATES, inlinePipeline, KfpClient, type KfpRun } from './kfp-client.js'
import { kfpEndpoint, loadKubeConfig } from './kfp-endpoint.js'
import type {
  KubeflowOrchestratorConfig,
  KubeflowOrchestratorSettings,
} from './kubeflow-orchestrator-flavor.js'
import { type RunObjectNames, runObjectNames } from './names.js'
import type { CompiledKfpPipeline } from './pipeline-spec.js'
import { pipelineYaml } from './pipeline-yaml.js'
import { RunObjects } from './run-objects.js'
import { runSettings } from './run-settings.js'

/** What `runs stop`, `runs sync` and `runs describe` need of a run on Kubeflow (stored with the run). */
export interface KubeflowRunHandle {
  kfpRunId: string
  /** The run's page in the KFP UI. */
  url: string
  /** Where the run's Secret and runtime ConfigMaps are, deleted once the run ended (not for a schedule's runs). */
  namespace?: string
  secret?: string
  runtime?: string[]
}

/** What `schedule list` and `schedule delete` need of a schedule (a KFP recurring run). */
interface KubeflowScheduleHandle {
  recurringRunId: string
  scheduleId: string
  pipelineName: string
  namespace: string
  userNamespace: string | null
}

/** A template's start task records, for each run it starts, the KFP run it belongs to (KFP fills it in). */
function tickHandle(uiUrl: string): string {
  const id = '{{$.pipeline_job_uuid}}'
  return JSON.stringify({ kfpRunId: id, url: `${uiUrl.replace(/\/$/, '')}/#/runs/details/${id}` })
}

function runHandleOf(handle: RemoteRunHandle): KubeflowRunHandle {
  const value = handle as Partial<KubeflowRunHandle>
  if (typeof value.kfpRunId !== 'string' || value.kfpRunId === '')
    throw new StrataError(
      'INVALID_RUN_HANDLE',
      'the run was not submitted by the Kubeflow orchestrator (its handle has no KFP run id)',
    )
  return value as KubeflowRunHandle
}

function scheduleHandle(value: KubeflowScheduleHandle): KubeflowScheduleHandle {
  // One key order, so that `list()` returns exactly the handle `create()` returned.
  const { recurringRunId, scheduleId, pipelineName, namespace, userNamespace } = value
  return { recurringRunId, scheduleId, pipelineName, namespace, userNamespace }
}

const SCHEDULE_DESCRIPTION =
  /^Strata schedule ([0-9a-f-]{36}) of pipeline '(.*)' \(objects in namespace ([a-z0-9-]+)(?:, user namespace ([a-z0-9-]+))?\)$/

/** Every step's end from what the steps recorded and how the KFP run ended. */
function endOf(
  snapshot: PipelineSnapshot,
  states: Record<string, StepRunState | 'pending' | 'running'>,
  run: KfpRun,
  url: string,
): OrchestratorRunResult {
  const steps: Record<string, StepRunState> = {}
  for (const step of snapshot.steps) {
    const state = states[step.id] ?? 'pending'
    if (state !== 'pending' && state !== 'running') {
      steps[step.id] = state
      continue
    }
    const upstreamFailed = step.upstream.some((id) =>
      ['failed', 'skipped', 'stopped'].includes(steps[id] ?? ''),
    )
    // A step still running when the KFP run ended was killed before it could journal its end.
    if (state === 'running') steps[step.id] = run.state === 'CANCELED' ? 'stopped' : 'failed'
    else steps[step.id] = upstreamFailed ? 'skipped' : 'not_started'
  }
  const failedSteps = Object.values(steps).some((state) => state === 'failed')
  if (run.state === 'CANCELED') return { steps, stopped: true }
  if (run.state === 'FAILED' && !failedSteps)
    return {
      steps,
      error: `the KFP run ${run.run_id} failed${run.error?.message ? `: ${run.error.message}` : ''} — see its pods in the KFP UI: ${url}`,
    }
  return { steps }
}

/** Step states known when the client detaches: pending and running steps have not ended. */
function settled(states: Record<string, StepRunState | 'pending' | 'running'>): Record<string, StepRunState> {
  const result: Record<string, StepRunState> = {}
  for (const [stepId, state] of Object.entries(states))
    result[stepId] = state === 'pending' || state === 'running' ? 'not_started' : state
  return result
}

/** `orchestrator/kubeflow`: submits a run as a KFP v2 pipeline run and follows it through the steps' journals. */
export class KubeflowOrchestrator implements OrchestratorV1 {
  readonly apiVersion = 1
  readonly #config: KubeflowOrchestratorConfig
  #kubeConfig: KubeConfig | undefined

  constructor(config: KubeflowOrchestratorConfig) {
    this.#config = config
  }

  #kube(): KubeConfig {
    this.#kubeConfig ??= loadKubeConfig(this.#config)
    return this.#kubeConfig
  }

  async #client(settings?: Pick<KubeflowOrchestratorSettings, 'clientArgs'>): Promise<KfpClient> {
    return new KfpClient(await kfpEndpoint(this.#config, settings, () => this.#kube()))
  }

  /** The user namespace the API calls name (multi-user), and the namespace the pods run in. */
  #namespaces(settings: KubeflowOrchestratorSettings): { user: string | undefined; pods: string } {
    const user = settings.userNamespace ?? settings.clientArgs?.namespace
    return { user, pods: user ?? this.#config.kubeflowNamespace }
  }

  /**
   * Compiles a snapshot for KFP with the objects its pods get, creates those objects in the cluster and
   * hands back both; `start` is what the first task does (adopt the staged run, or start from a template).
   */
  async #prepare(
    snapshot: PipelineSnapshot,
    staging: RemoteRunStaging,
    names: RunObjectNames,
    options: {
      start: { run: string } | { template: string }
      skip?: ReadonlySet<string>
      startHandle?: string
      owner: { runId?: string; scheduleId?: string }
    },
  ): Promise<{ compiled: CompiledKfpPipeline; objects: RunObjects; configMaps: string[] }> {
    const settings = runSettings(snapshot)
    const runtime = await staging.runtime()
    const configMaps = runtime.chunks.map((_, index) => `${names.runtime}-${index}`)
    const compiled = compilePipeline(snapshot, {
      start: options.start,
      handover: {
        secretName: names.secret,
        secretKeys: Object.keys(staging.env),
        runtimeConfigMaps: configMaps,
      },
      ...(options.skip ? { skip: options.skip } : {}),
      ...(options.startHandle ? { startHandle: options.startHandle } : {}),
      stepArgs: (stepId) => staging.stepArgs(stepId),
    })
    const objects = new RunObjects(this.#kube(), this.#namespaces(settings.pipeline).pods)
    await objects.create(
      names,
      { pipelineName: snapshot.pipeline.name, ...options.owner },
      staging.env,
      runtime,
    )
    return { compiled, objects, configMaps }
  }

  async run(snapshot: PipelineSnapshot, context: OrchestratorRunContext): Promise<OrchestratorRunResult> {
    const { remote, submitted } = context
    if (!remote || !submitted)
      throw new StrataError(
        'REMOTE_RUNS_UNSUPPORTED',
        'this @strata/sdk cannot hand runs to a remote orchestrator — upgrade @strata/sdk and @strata/cli',
      )
    const settings = runSettings(snapshot).pipeline
    const namespaces = this.#namespaces(settings)
    const client = await this.#client(settings)
    const experiment = await client.experiment(snapshot.pipeline.name, namespaces.user)
    const staging = await remote.stage()
    const names = runObjectNames(snapshot.runId, snapshot.pipeline.name)
    const { compiled, objects, configMaps } = await this.#prepare(snapshot, staging, names, {
      start: { run: staging.runUri },
      skip: context.cached,
      owner: { runId: snapshot.runId },
    })
    let run: KfpRun
    try {
      run = await client.createRun(
        {
          display_name: snapshot.runName,
          description: `Strata run ${snapshot.runName} of pipeline '${snapshot.pipeline.name}'`,
          experiment_id: experiment.experiment_id,
          pipeline_spec: inlinePipeline(compiled.pipelineSpec, compiled.platformSpec),
          ...(Object.keys(snapshot.pipeline.parameters).length > 0
            ? { runtime_config: { parameters: snapshot.pipeline.parameters } }
            : {}),
        },
        namespaces.user,
      )
    } catch (error) {
      await objects.delete(names.secret, configMaps).catch(() => {})
      throw error
    }
    const url = client.runUrl(run.run_id)
    const handle: KubeflowRunHandle = {
      kfpRunId: run.run_id,
      url,
      namespace: objects.namespace,
      secret: names.secret,
      runtime: configMaps,
    }
    await submitted({ ...handle })
    context.logger.info(
      `kubeflow: run submitted as KFP run ${run.run_id} in experiment '${snapshot.pipeline.name}' — ${url}`,
    )
    const follow = `follow it with 'strata pipeline runs sync ${snapshot.runName} --follow', stop it with 'strata pipeline runs stop ${snapshot.runName}'`
    if (!settings.synchronous)
      return { steps: {}, detached: { message: `the run goes on in Kubeflow — ${follow}` } }

    const deadline = Date.now() + settings.timeout * 1000
    let states: Record<string, StepRunState | 'pending' | 'running'> = {}
    for (;;) {
      if (context.signal.aborted)
        return {
          steps: settled(states),
          detached: { message: `detached: the run goes on in Kubeflow — ${follow}` },
        }
      states = await remote.sync()
      const current = await client.getRun(run.run_id)
      if (current.state && FINAL_RUN_STATES.has(current.state)) {
        // What the last steps journaled before their pods ended.
        states = await remote.sync()
        await objects
          .delete(names.secret, configMaps)
          .catch((error: unknown) =>
            context.logger.warn(
              `could not delete the run's Secret and ConfigMaps: ${(error as Error).message}`,
            ),
          )
        return endOf(snapshot, states, current, url)
      }
      if (Date.now() > deadline)
        return {
          steps: settled(states),
          detached: {
            message: `followed for ${settings.timeout} s (the timeout setting): the run goes on in Kubeflow — ${follow}`,
          },
        }
      await sleep(settings.pollingInterval * 1000, undefined, { signal: context.signal }).catch(() => {})
    }
  }

  async status(remote: RemoteRunHandle): Promise<RemoteRunState> {
    const handle = runHandleOf(remote)
    const client = await this.#client()
    let run: KfpRun
    try {
      run = await client.getRun(handle.kfpRunId)
    } catch (error) {
      if (error instanceof StrataError && error.code === 'KUBEFLOW_NOT_FOUND')
        return { state: 'lost', reason: `its KFP run ${handle.kfpRunId} no longer exists` }
      throw error
    }
    if (!run.state || !FINAL_RUN_STATES.has(run.state)) return { state: 'running' }
    if (handle.namespace && handle.secret)
      await new RunObjects(this.#kube(), handle.namespace).delete(handle.secret, handle.runtime ?? [])
    return { state: 'ended' }
  }

  /** KFP terminates a run at once (running steps are killed): there is no graceful stop to ask for. */
  async stop(remote: RemoteRunHandle, _options: { force: boolean }): Promise<void> {
    const handle = runHandleOf(remote)
    const client = await this.#client()
    try {
      await client.terminateRun(handle.kfpRunId)
    } catch (error) {
      if (!(error instanceof StrataError && error.code === 'KUBEFLOW_NOT_FOUND')) throw error
    }
    // Terminated is as good as ended: its pods are being killed, and nothing asks for its status again.
    if (handle.namespace && handle.secret)
      await new RunObjects(this.#kube(), handle.namespace).delete(handle.secret, handle.runtime ?? [])
  }

  /**
   * Stages a template (as a schedule does), creates the Secret and runtime ConfigMaps its runs use, and
   * returns the pipeline as the YAML file the KFP UI uploads (`strata pipeline export --format kfp`): each
   * run of it starts a fresh Strata run from the template. The objects stay until deleted by hand
   * (`kubectl delete secret,configmap -l strata.dev/schedule=<id>`).
   */
  async exportPipeline(
    snapshot: PipelineSnapshot,
    context: ScheduleContext,
  ): Promise<{ yaml: string; pipeline: CompiledKfpPipeline; namespace: string; objects: string[] }> {
    const settings = runSettings(snapshot).pipeline
    const client = await this.#client(settings)
    const staging = await context.stage()
    const names = runObjectNames(context.scheduleId, snapshot.pipeline.name)
    const { compiled, objects, configMaps } = await this.#prepare(snapshot, staging, names, {
      start: { template: staging.runUri },
      startHandle: tickHandle(client.uiUrl),
      owner: { scheduleId: context.scheduleId },
    })
    return {
      yaml: pipelineYaml(compiled),
      pipeline: compiled,
      namespace: objects.namespace,
      objects: [names.secret, ...configMaps],
    }
  }

  /**
   * `strata pipeline export --format kfp`: the pipeline as a KFP pipeline YAML for the Kubeflow UI, with its
   * Secret and runtime ConfigMaps created in the namespace; each run started from it starts a fresh Strata
   * run from the staged template.
   * @throws StrataError `EXPORT_FORMAT` for a format other than `kfp`
   */
  async export(
    snapshot: PipelineSnapshot,
    context: ExportContext,
  ): Promise<{ content: string; handle: RemoteRunHandle }> {
    if (context.format !== 'kfp') {
      throw new StrataError(
        'EXPORT_FORMAT',
        `the Kubeflow orchestrator exports --format kfp, not '${context.format}'`,
      )
    }
    const exported = await this.exportPipeline(snapshot, { ...context, cron: '' })
    return {
      content: exported.yaml,
      handle: {
        scheduleId: context.scheduleId,
        pipelineName: snapshot.pipeline.name,
        namespace: exported.namespace,
      },
    }
  }

  readonly schedules = {
    create: async (snapshot: PipelineSnapshot, context: ScheduleContext): Promise<ScheduleInfo> => {
      checkTimeZone(context.timeZone)
      const cron = kfpCron(context.cron)
      const settings = runSettings(snapshot).pipeline
      const namespaces = this.#namespaces(settings)
      const client = await this.#client(settings)
      const experiment = await client.experiment(snapshot.pipeline.name, namespaces.user)
      const staging = await context.stage()
      const names = runObjectNames(context.scheduleId, snapshot.pipeline.name)
      const { compiled, objects, configMaps } = await this.#prepare(snapshot, staging, names, {
        start: { template: staging.runUri },
        startHandle: tickHandle(client.uiUrl),
        owner: { scheduleId: context.scheduleId },
      })
      const description = `Strata schedule ${context.scheduleId} of pipeline '${snapshot.pipeline.name}' (objects in namespace ${objects.namespace}${namespaces.user ? `, user namespace ${namespaces.user}` : ''})`
      try {
        const recurring = await client.createRecurringRun(
          {
            display_name: context.name,
            description,
            experiment_id: experiment.experiment_id,
            pipeline_spec: inlinePipeline(compiled.pipelineSpec, compiled.platformSpec),
            trigger: { cron_schedule: { cron } },
            mode: 'ENABLE',
            max_concurrency: '10',
            no_catchup: true,
            ...(namespaces.user ? { namespace: namespaces.user } : {}),
          },
          namespaces.user,
        )
        return {
          id: recurring.recurring_run_id,
          name: context.name,
          pipelineName: snapshot.pipeline.name,
          cron: context.cron,
          active: recurring.mode !== 'DISABLE',
          createdAt: recurring.created_at ?? new Date().toISOString(),
          handle: {
            ...scheduleHandle({
              recurringRunId: recurring.recurring_run_id,
              scheduleId: context.scheduleId,
              pipelineName: snapshot.pipeline.name,
              namespace: objects.namespace,
              userNamespace: namespaces.user ?? null,
            }),
          },
        }
      } catch (error) {
        await objects.delete(names.secret, configMaps).catch(() => {})
        throw error
      }
    },
    /** The recurring runs Strata created (single-user Kubeflow, or the user namespace of `clientArgs`). */
    list: async (): Promise<ScheduleInfo[]> => {
      const client = await this.#client()
      const infos: ScheduleInfo[] = []
      for (const recurring of await client.listRecurringRuns(undefined)) {
        const match = SCHEDULE_DESCRIPTION.exec(recurring.description ?? '')
        if (!match) continue
        const [, scheduleId = '', pipelineName = '', namespace = '', userNamespace] = match
        infos.push({
          id: recurring.recurring_run_id,
          name: recurring.display_name,
          pipelineName,
          cron: recurring.trigger?.cron_schedule?.cron ?? '',
          active: recurring.mode !== 'DISABLE',
          ...(recurring.created_at ? { createdAt: recurring.created_at } : {}),
          handle: {
            ...scheduleHandle({
              recurringRunId: recurring.recurring_run_id,
              scheduleId,
              pipelineName,
              namespace,
              userNamespace: userNamespace ?? null,
            }),
          },
        })
      }
      return infos
    },
    delete: async (remote: RemoteRunHandle): Promise<void> => {
      const handle = remote as Partial<KubeflowScheduleHandle>
      if (typeof handle.scheduleId !== 'string')
        throw new StrataError(
          'INVALID_RUN_HANDLE',
          'the schedule was not created by the Kubeflow orchestrator',
        )
      // An exported pipeline has no recurring run: only its Secret and runtime go.
      if (typeof handle.recurringRunId === 'string') {
        const client = await this.#client()
        try {
          await client.deleteRecurringRun(handle.recurringRunId)
        } catch (error) {
          if (!(error instanceof StrataError && error.code === 'KUBEFLOW_NOT_FOUND')) throw error
        }
      }
      if (handle.namespace && handle.pipelineName) {
        const names = runObjectNames(handle.scheduleId, handle.pipelineName)
        const objects = new RunObjects(this.#kube(), handle.namespace)
        await objects.delete(names.secret, await objects.scheduleConfigMaps(handle.scheduleId))
      }
    },
  }

  /**
   * `strata stack validate`: the KFP API answers (with these credentials), and this identity may create
   * and delete the run's Secret and ConfigMaps in `kubeflowNamespace` (a multi-user Kubeflow's profile
   * namespace is a setting, which stack validation does not see).
   * @throws StrataError naming what is unreachable, refused or missing
   */
  async verify(): Promise<void> {
    const client = await this.#client()
    await client.healthz()
    await new RunObjects(this.#kube(), this.#config.kubeflowNamespace).verifyAccess()
  }
}
