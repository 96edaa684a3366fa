import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node'
import {
  errorMessage,
  type OrchestratorDriveContext,
  type OrchestratorRunContext,
  type OrchestratorRunResult,
  type OrchestratorV1,
  type PipelineSnapshot,
  type RemoteRunHandle,
  type RemoteRunState,
  type ScheduleContext,
  type ScheduleInfo,
  type StepRunState,
  StrataError,
} from '@strata/core'
import { verifyAccess } from './access-review.js'
import { driveRun } from './job-driver.js'
import { createKubeClient, type KubeClient } from './kube-client.js'
import type { KubernetesOrchestratorConfig } from './kubernetes-orchestrator-flavor.js'
import { ANNOTATIONS, LABELS, labelValue, runObjectNames } from './names.js'
import { failedContainer, jobEnd, RunMonitor, stuckContainer } from './run-monitor.js'
import { createRunObjects, DRIVER_ENV } from './run-objects.js'
import { runSettings } from './run-settings.js'
import { listSchedules } from './schedules.js'

/** What `runs stop` and `runs sync` need to find a run again. */
interface KubernetesRunHandle {
  namespace: string
  job: string
  runId: string
}

function handleOf(handle: RemoteRunHandle): KubernetesRunHandle {
  const { namespace, job, runId } = handle as Partial<KubernetesRunHandle>
  if (typeof namespace !== 'string' || typeof job !== 'string' || typeof runId !== 'string') {
    throw new StrataError(
      'INVALID_RUN_HANDLE',
      'the run was not submitted by the Kubernetes orchestrator (its handle has no namespace and Job)',
    )
  }
  return { namespace, job, runId }
}

/** `orchestrator/kubernetes`: submits runs as an orchestrator Job that drives one Job per step. */
export class KubernetesOrchestrator implements OrchestratorV1 {
  readonly apiVersion = 1
  readonly #config: KubernetesOrchestratorConfig
  #kube: KubeClient | undefined

  constructor(config: KubernetesOrchestratorConfig) {
    this.#config = config
  }

  /** The client, built on first use: inside a pod from the service account, else from the kubeconfig. */
  #client(namespace = this.#config.kubernetesNamespace, incluster = this.#config.incluster): KubeClient {
    if (this.#kube?.namespace === namespace) return this.#kube
    this.#kube = createKubeClient({ ...this.#config, incluster }, namespace)
    return this.#kube
  }

  async run(snapshot: PipelineSnapshot, context: OrchestratorRunContext): Promise<OrchestratorRunResult> {
    const { remote, submitted } = context
    if (!remote || !submitted) {
      throw new StrataError(
        'REMOTE_RUNS_UNSUPPORTED',
        'this @strata/sdk cannot hand runs to a remote orchestrator — upgrade @strata/sdk and @strata/cli',
      )
    }
    const settings = runSettings(snapshot)
    const client = this.#client()
    const names = runObjectNames(snapshot.runId, settings.pipeline.jobNamePrefix ?? snapshot.pipeline.name)
    const staging = await remote.stage()
    await createRunObjects(client, {
      run: { runId: snapshot.runId, runName: snapshot.runName, pipelineName: snapshot.pipeline.name },
      staging,
      settings: settings.pipeline,
      names,
    })
    const handle: KubernetesRunHandle = {
      namespace: client.namespace,
      job: names.orchestratorJob,
      runId: snapshot.runId,
    }
    await submitted({ ...handle })
    context.logger.info(
      `kubernetes: run submitted as Job ${names.orchestratorJob} in namespace ${client.namespace} (context ${client.context})`,
    )
    const follow = `follow it with 'strata pipeline runs sync ${snapshot.runName} --follow', stop it with 'strata pipeline runs stop ${snapshot.runName}'`
    if (!settings.pipeline.synchronous)
      return { steps: {}, detached: { message: `the run goes on in the cluster — ${follow}` } }

    const monitor = new RunMonitor(
      client,
      `${LABELS.runId}=${labelValue(snapshot.runId)},${LABELS.role}=orchestrator`,
      settings.pipeline.jobMonitoringInterval * 1000,
    )
    let states: Record<string, StepRunState | 'pending' | 'running'> = {}
    const reported = new Set<string>()
    for (;;) {
      if (context.signal.aborted) {
        return {
          steps: settled(states),
          detached: { message: `detached: the run goes on in the cluster — ${follow}` },
        }
      }
      states = await remote.sync()
      const result = await remote.result()
      if (result) return result
      await monitor.look(context.signal)
      if (context.signal.aborted) continue
      const own = monitor.job(names.orchestratorJob)
      const end = jobEnd(own)
      if (!own || end) {
        // The driver may have recorded its end between the two looks.
        const late = await remote.result()
        if (late) return late
        throw new StrataError(
          'KUBERNETES_ORCHESTRATOR_FAILED',
          !own
            ? `the orchestrator Job ${names.orchestratorJob} was deleted before the run ended — start the run again`
            : `the orchestrator Job ${names.orchestratorJob} ${end?.state === 'failed' ? `failed (${end.reason}${end.message ? `: ${end.message}` : ''})` : 'ended without recording the run’s end'} — see its log: kubectl logs -n ${client.namespace} job/${names.orchestratorJob}`,
        )
      }
      for (const pod of monitor.podsOf(names.orchestratorJob)) {
        const failed = failedContainer(pod)
        const podName = pod.metadata?.name ?? ''
        if (failed && !reported.has(podName)) {
          // The Job starts another pod (it resumes the run); the user sees why this one died, not a silence.
          reported.add(podName)
          const tail = failed.message.split('\n').slice(-3).join(' | ')
          context.logger.warn(
            `kubernetes: the orchestrator pod ${podName} failed (exit ${failed.exitCode})${tail ? `: ${tail}` : ''} — its Job starts another; see kubectl logs -n ${client.namespace} ${podName}`,
          )
        }
        const stuck = stuckContainer(pod, settings.pipeline.failOnContainerWaitingReasons)
        if (!stuck) continue
        await this.stop({ ...handle }, { force: true })
        throw new StrataError(
          'KUBERNETES_POD_CANNOT_START',
          `the orchestrator pod ${pod.metadata?.name} cannot start: ${stuck.reason}${stuck.message ? ` (${stuck.message})` : ''} — check the image '${settings.pipeline.image}' (the image setting), its pull secrets, and the Secrets and ConfigMaps the pod settings refer to`,
        )
      }
    }
  }

  async drive(snapshot: PipelineSnapshot, context: OrchestratorDriveContext): Promise<void> {
    const namespace = process.env[DRIVER_ENV.namespace] ?? this.#config.kubernetesNamespace
    const client = this.#client(namespace, true)
    try {
      await driveRun(client, snapshot, context)
    } catch (error) {
      // Recorded as the run's end: a driver that cannot work (no permission to create Jobs) fails the run
      // with the reason, rather than failing its pod until the Job gives up minutes later.
      await context.finish({ steps: {}, error: errorMessage(error) })
    }
    // The run's credentials leave the cluster with the run; the Job (and its log) stays until its TTL.
    const secret = process.env[DRIVER_ENV.secret]
    // A schedule's Secret and runtime serve its next runs too: they go with the schedule's CronJob.
    if (process.env[DRIVER_ENV.schedule]) return
    const remove = async (what: string, request: () => Promise<unknown>): Promise<void> => {
      await client
        .callOrMissing(`delete ${what}`, request)
        .catch((error: unknown) => context.logger.warn(`could not delete ${what}: ${errorMessage(error)}`))
    }
    if (secret)
      await remove(`Secret ${secret}`, () => client.core.deleteNamespacedSecret({ name: secret, namespace }))
    for (const name of process.env[DRIVER_ENV.runtime]?.split(',') ?? []) {
      if (name)
        await remove(`ConfigMap ${name}`, () => client.core.deleteNamespacedConfigMap({ name, namespace }))
    }
  }

  async status(remote: RemoteRunHandle): Promise<RemoteRunState> {
    const handle = handleOf(remote)
    const client = this.#client(handle.namespace)
    const own = await client.callOrMissing('read the orchestrator Job', () =>
      client.batch.readNamespacedJob({ name: handle.job, namespace: handle.namespace }),
    )
    if (!own) return { state: 'lost', reason: `its orchestrator Job ${handle.job} no longer exists` }
    const end = jobEnd(own)
    if (!end) return { state: 'running' }
    if (end.state === 'complete') return { state: 'ended' }
    return { state: 'lost', reason: `its orchestrator Job ${handle.job} failed (${end.reason})` }
  }

  async stop(remote: RemoteRunHandle, options: { force: boolean }): Promise<void> {
    const handle = handleOf(remote)
    const client = this.#client(handle.namespace)
    const { namespace } = handle
    if (!options.force) {
      await client.call('ask the orchestrator Job to stop', () =>
        client.batch.patchNamespacedJob(
          {
            name: handle.job,
            namespace,
            body: { metadata: { annotations: { [ANNOTATIONS.stop]: 'graceful' } } },
          },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        ),
      )
      return
    }
    const options_ = { namespace, propagationPolicy: 'Background', gracePeriodSeconds: 30 }
    await client.callOrMissing('delete the orchestrator Job', () =>
      client.batch.deleteNamespacedJob({ name: handle.job, ...options_ }),
    )
    await client.call('delete the step Jobs', () =>
      client.batch.deleteCollectionNamespacedJob({
        ...options_,
        labelSelector: `${LABELS.runId}=${labelValue(handle.runId)}`,
      }),
    )
  }

  readonly schedules = {
    create: async (snapshot: PipelineSnapshot, context: ScheduleContext): Promise<ScheduleInfo> => {
      const settings = runSettings(snapshot)
      const client = this.#client()
      const staging = await context.stage()
      const names = runObjectNames(
        context.scheduleId,
        settings.pipeline.jobNamePrefix ?? snapshot.pipeline.name,
      )
      const cron = await createRunObjects(client, {
        run: {
          runId: context.scheduleId,
          runName: context.name,
          pipelineName: snapshot.pipeline.name,
          scheduleId: context.scheduleId,
        },
        staging,
        settings: settings.pipeline,
        names: { ...names, orchestratorJob: names.schedule },
        schedule: { cron: context.cron, timeZone: context.timeZone },
      })
      return {
        id: cron.metadata?.name ?? '',
        name: context.name,
        pipelineName: snapshot.pipeline.name,
        cron: context.cron,
        ...(context.timeZone ? { timeZone: context.timeZone } : {}),
        active: true,
        createdAt: new Date().toISOString(),
        handle: { namespace: client.namespace, cronJob: cron.metadata?.name ?? '' },
      }
    },
    list: async (): Promise<ScheduleInfo[]> => listSchedules(this.#client()),
    delete: async (remote: RemoteRunHandle): Promise<void> => {
      const { namespace, cronJob } = remote as { namespace?: string; cronJob?: string }
      if (typeof namespace !== 'string' || typeof cronJob !== 'string')
        throw new StrataError(
          'INVALID_RUN_HANDLE',
          'the schedule was not created by the Kubernetes orchestrator',
        )
      const client = this.#client(namespace)
      await client.callOrMissing(`delete CronJob ${cronJob}`, () =>
        client.batch.deleteNamespacedCronJob({ name: cronJob, namespace, propagationPolicy: 'Background' }),
      )
    },
  }

  async verify(): Promise<void> {
    await verifyAccess(this.#client())
  }
}

/** Step states known when the client detaches: pending and running steps have not ended. */
function settled(states: Record<string, StepRunState | 'pending' | 'running'>): Record<string, StepRunState> {
  const result: Record<string, StepRunState> = {}
  for (const [stepId, state] of Object.entries(states)) {
    result[stepId] = state === 'pending' || state === 'running' ? 'not_started' : state
  }
  return result
}
