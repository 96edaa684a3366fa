import {
  PatchStrategy,
  setHeaderOptions,
  type V1CronJob,
  type V1EnvVar,
  type V1Job,
} from '@kubernetes/client-node'
import type { RemoteRunStaging } from '@strata/core'
import type { KubeClient } from './kube-client.js'
import type { KubernetesOrchestratorSettings } from './kubernetes-orchestrator-flavor.js'
import {
  cronJob,
  job,
  ownerReference,
  type PodOptions,
  type RunIdentity,
  runSecret,
  runtimeConfigMaps,
} from './manifests.js'

/** How the driver in the orchestrator pod learns about its surroundings (no secret here). */
export const DRIVER_ENV = {
  namespace: 'STRATA_K8S_NAMESPACE',
  job: 'STRATA_K8S_JOB',
  secret: 'STRATA_K8S_SECRET',
  runtime: 'STRATA_K8S_RUNTIME',
  /** Set in a schedule's pods: the Secret and runtime belong to the schedule, not to one run. */
  schedule: 'STRATA_K8S_SCHEDULE',
} as const

/** Attempts of the orchestrator Job: a killed orchestrator pod is replaced and resumes the run. */
const ORCHESTRATOR_BACKOFF_LIMIT = 6

export interface RunObjectsOptions {
  run: RunIdentity
  staging: RemoteRunStaging
  settings: KubernetesOrchestratorSettings
  names: { orchestratorJob: string; secret: string; runtime: string }
  /** A schedule: a CronJob instead of a Job. */
  schedule?: { cron: string; timeZone?: string | undefined }
}

/** The orchestrator pod: the runtime's driver, with what it needs to create the step Jobs. */
function orchestratorPod(options: RunObjectsOptions, runtimeNames: string[]): PodOptions {
  const env: V1EnvVar[] = [
    { name: DRIVER_ENV.namespace, valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
    {
      name: DRIVER_ENV.job,
      valueFrom: { fieldRef: { fieldPath: "metadata.labels['batch.kubernetes.io/job-name']" } },
    },
    { name: DRIVER_ENV.secret, value: options.names.secret },
    { name: DRIVER_ENV.runtime, value: runtimeNames.join(',') },
    ...(options.run.scheduleId ? [{ name: DRIVER_ENV.schedule, value: options.run.scheduleId }] : []),
  ]
  return {
    image: options.settings.image,
    args: options.staging.driverArgs(),
    secretName: options.names.secret,
    runtimeConfigMaps: runtimeNames,
    serviceAccountName: options.settings.serviceAccountName,
    settings: options.settings.orchestratorPodSettings,
    terminationGracePeriodSeconds: options.settings.podStopGracePeriod,
    env,
  }
}

/**
 * Creates what a run (or a schedule) needs in the cluster: its Secret, the runtime ConfigMaps, and the
 * orchestrator Job (or CronJob), which then owns the others so that deleting it (or its TTL) removes
 * them. A failure on the way deletes what was created: nothing is left half made.
 * @returns the Job or CronJob
 */
export async function createRunObjects(
  client: KubeClient,
  options: RunObjectsOptions,
): Promise<V1Job | V1CronJob> {
  const { namespace } = client
  const runtime = await options.staging.runtime()
  const maps = runtimeConfigMaps(options.names.runtime, options.run, runtime.bootstrap, runtime.chunks)
  const runtimeNames = maps.map((map) => map.metadata?.name ?? '')
  const created: Array<() => Promise<unknown>> = []
  try {
    await client.call('create the run Secret', () =>
      client.core.createNamespacedSecret({
        namespace,
        body: runSecret(options.names.secret, options.run, options.staging.env),
      }),
    )
    created.push(() => client.core.deleteNamespacedSecret({ name: options.names.secret, namespace }))
    for (const map of maps) {
      const name = map.metadata?.name ?? ''
      await client.call('create the runtime ConfigMap', () =>
        client.core.createNamespacedConfigMap({ namespace, body: map }),
      )
      created.push(() => client.core.deleteNamespacedConfigMap({ name, namespace }))
    }
    const jobOptions = {
      name: options.names.orchestratorJob,
      run: options.run,
      role: 'orchestrator' as const,
      pod: orchestratorPod(options, runtimeNames),
      backoffLimit: ORCHESTRATOR_BACKOFF_LIMIT,
      ttlSecondsAfterFinished: options.settings.ttlSecondsAfterFinished,
    }
    const { schedule } = options
    const owner = schedule
      ? await client.call('create the schedule CronJob', () =>
          client.batch.createNamespacedCronJob({
            namespace,
            body: cronJob({
              ...jobOptions,
              schedule: schedule.cron,
              timeZone: schedule.timeZone,
            }),
          }),
        )
      : await client.call('create the orchestrator Job', () =>
          client.batch.createNamespacedJob({ namespace, body: job(jobOptions) }),
        )
    const ownerName = owner.metadata?.name ?? ''
    created.push(() =>
      options.schedule
        ? client.batch.deleteNamespacedCronJob({ name: ownerName, namespace })
        : client.batch.deleteNamespacedJob({ name: ownerName, namespace, propagationPolicy: 'Background' }),
    )
    const reference = ownerReference(
      options.schedule ? 'CronJob' : 'Job',
      ownerName,
      owner.metadata?.uid ?? '',
    )
    const patch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch)
    const body = { metadata: { ownerReferences: [reference] } }
    await client.call('let the orchestrator Job own the run Secret', () =>
      client.core.patchNamespacedSecret({ name: options.names.secret, namespace, body }, patch),
    )
    for (const name of runtimeNames) {
      await client.call('let the orchestrator Job own the runtime', () =>
        client.core.patchNamespacedConfigMap({ name, namespace, body }, patch),
      )
    }
    return owner
  } catch (error) {
    for (const undo of created.reverse()) await undo().catch(() => {})
    throw error
  }
}
