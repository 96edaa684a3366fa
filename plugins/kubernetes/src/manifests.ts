import type {
  V1ConfigMap,
  V1CronJob,
  V1EnvVar,
  V1Job,
  V1JobSpec,
  V1OwnerReference,
  V1PodSpec,
  V1Secret,
} from '@kubernetes/client-node'
import { ANNOTATIONS, LABELS, labelValue } from './names.js'
import type { PodSettings } from './pod-settings.js'

/** Where pods find the Strata runtime (a projected volume of the run's runtime ConfigMaps). */
const RUNTIME_DIR = '/strata/runtime'
const RUNTIME_VOLUME = 'strata-runtime'

/** What identifies a run's objects. */
export interface RunIdentity {
  runId: string
  runName: string
  pipelineName: string
  /** Set on the objects of a schedule (its runs get their own ids). */
  scheduleId?: string
}

function runLabels(run: RunIdentity, role: string, step?: string): Record<string, string> {
  return {
    [LABELS.managedBy]: 'strata',
    [LABELS.runId]: labelValue(run.runId),
    [LABELS.pipeline]: labelValue(run.pipelineName),
    [LABELS.role]: role,
    ...(step ? { [LABELS.step]: labelValue(step) } : {}),
    ...(run.scheduleId ? { [LABELS.schedule]: labelValue(run.scheduleId) } : {}),
  }
}

function runAnnotations(run: RunIdentity, step?: string): Record<string, string> {
  return {
    [ANNOTATIONS.runName]: run.runName,
    [ANNOTATIONS.pipeline]: run.pipelineName,
    ...(step ? { [ANNOTATIONS.step]: step } : {}),
  }
}

/** The run's Secret: every variable its processes need, which may hold credentials and secret values. */
export function runSecret(name: string, run: RunIdentity, env: Record<string, string>): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, labels: runLabels(run, 'env'), annotations: runAnnotations(run) },
    type: 'Opaque',
    stringData: env,
  }
}

/** The ConfigMaps holding the runtime: a bootstrap and the gzipped runtime in chunks (a ConfigMap holds < 1 MiB). */
export function runtimeConfigMaps(
  baseName: string,
  run: RunIdentity,
  bootstrap: string,
  chunks: readonly Uint8Array[],
): V1ConfigMap[] {
  return chunks.map((chunk, index) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: `${baseName}-${index}`,
      labels: runLabels(run, 'runtime'),
      annotations: runAnnotations(run),
    },
    ...(index === 0 ? { data: { 'bootstrap.mjs': bootstrap } } : {}),
    binaryData: {
      [`runtime.mjs.gz.${String(index).padStart(3, '0')}`]: Buffer.from(chunk).toString('base64'),
    },
  }))
}

export function ownerReference(kind: 'Job' | 'CronJob', name: string, uid: string): V1OwnerReference {
  return { apiVersion: 'batch/v1', kind, name, uid, controller: false, blockOwnerDeletion: false }
}

/** What one pod of a run is made of. */
export interface PodOptions {
  image: string
  args: string[]
  secretName: string
  runtimeConfigMaps: readonly string[]
  serviceAccountName: string | undefined
  settings: PodSettings | undefined
  terminationGracePeriodSeconds: number
  /** Extra variables that hold no secret. */
  env?: V1EnvVar[]
}

/** A pod spec: one container named `main` running the runtime from its projected volume. */
function podSpec(options: PodOptions): V1PodSpec {
  const settings = options.settings ?? {}
  const spec: V1PodSpec = {
    restartPolicy: 'Never',
    terminationGracePeriodSeconds: options.terminationGracePeriodSeconds,
    ...(options.serviceAccountName ? { serviceAccountName: options.serviceAccountName } : {}),
    ...(settings.nodeSelectors ? { nodeSelector: settings.nodeSelectors } : {}),
    ...(settings.affinity ? { affinity: settings.affinity } : {}),
    ...(settings.tolerations ? { tolerations: settings.tolerations } : {}),
    ...(settings.imagePullSecrets
      ? { imagePullSecrets: settings.imagePullSecrets.map((name) => ({ name })) }
      : {}),
    containers: [
      {
        name: 'main',
        image: options.image,
        // A container that fails says why in its status (the end of its log), where the client reads it.
        terminationMessagePolicy: 'FallbackToLogsOnError',
        command: ['node', `${RUNTIME_DIR}/bootstrap.mjs`],
        args: options.args,
        envFrom: [{ secretRef: { name: options.secretName } }, ...((settings.envFrom ?? []) as never[])],
        env: [...(options.env ?? []), ...((settings.env ?? []) as never[])],
        volumeMounts: [
          { name: RUNTIME_VOLUME, mountPath: RUNTIME_DIR, readOnly: true },
          ...((settings.volumeMounts ?? []) as never[]),
        ],
        ...(settings.resources ? { resources: settings.resources } : {}),
      },
    ],
    volumes: [
      {
        name: RUNTIME_VOLUME,
        projected: { sources: options.runtimeConfigMaps.map((name) => ({ configMap: { name } })) },
      },
      ...((settings.volumes ?? []) as never[]),
    ],
  }
  return { ...spec, ...(settings.additionalPodSpecArgs as Partial<V1PodSpec> | undefined) }
}

/** Pod failures that are not the step's (eviction, preemption, node drain) do not use up its attempts. */
const POD_FAILURE_POLICY: V1JobSpec['podFailurePolicy'] = {
  rules: [
    { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
    { action: 'Count', onExitCodes: { containerName: 'main', operator: 'NotIn', values: [0] } },
  ],
}

export interface JobOptions {
  name: string
  run: RunIdentity
  role: 'orchestrator' | 'step'
  step?: string
  pod: PodOptions
  backoffLimit: number
  ttlSecondsAfterFinished?: number | undefined
  activeDeadlineSeconds?: number | undefined
}

function jobSpec(options: JobOptions): V1JobSpec {
  const settings = options.pod.settings
  return {
    backoffLimit: options.backoffLimit,
    podFailurePolicy: POD_FAILURE_POLICY,
    ...(options.ttlSecondsAfterFinished === undefined
      ? {}
      : { ttlSecondsAfterFinished: options.ttlSecondsAfterFinished }),
    ...(options.activeDeadlineSeconds === undefined
      ? {}
      : { activeDeadlineSeconds: options.activeDeadlineSeconds }),
    template: {
      metadata: {
        labels: { ...settings?.labels, ...runLabels(options.run, options.role, options.step) },
        annotations: { ...settings?.annotations, ...runAnnotations(options.run, options.step) },
      },
      spec: podSpec(options.pod),
    },
  }
}

/** A Job: a step's, or the orchestrator's that drives the steps. */
export function job(options: JobOptions): V1Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: options.name,
      labels: runLabels(options.run, options.role, options.step),
      annotations: runAnnotations(options.run, options.step),
    },
    spec: jobSpec(options),
  }
}

/** A CronJob whose Jobs are orchestrator Jobs: each tick starts a new run of the schedule. */
export function cronJob(
  options: JobOptions & { schedule: string; timeZone?: string | undefined },
): V1CronJob {
  const spec = jobSpec(options)
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: {
      name: options.name,
      labels: runLabels(options.run, 'schedule'),
      annotations: runAnnotations(options.run),
    },
    spec: {
      schedule: options.schedule,
      ...(options.timeZone ? { timeZone: options.timeZone } : {}),
      concurrencyPolicy: 'Allow',
      jobTemplate: { metadata: { labels: runLabels(options.run, 'orchestrator') }, spec },
    },
  }
}
