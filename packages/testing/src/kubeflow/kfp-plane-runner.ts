// A TEST STAND-IN for Kubeflow Pipelines' backend (Argo Workflows, KFP's driver and launcher): it walks a
// compiled pipeline's DAG and starts each task's executor container on the Kubernetes test plane exactly
// as the IR and its kubernetes platform spec write it. It is not KFP and not a product feature: it proves
// that the containers a compiler writes run, with what the platform spec hands them, in dependency order.
// What KFP does besides (MLMD, artifacts, caching, the launcher wrapping the command, Argo's pod naming)
// is not emulated.
import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  CoreV1Api,
  type V1Affinity,
  type V1Container,
  type V1EnvVar,
  type V1Pod,
  type V1Toleration,
  type V1Volume,
  type V1VolumeMount,
} from '@kubernetes/client-node'
import type { KubernetesTestPlane } from '../kubernetes/start-kubernetes-test-plane.js'

/** Where a task's output parameter files go in its pod (a host folder the runner reads afterwards). */
const OUTPUTS_DIR = '/tmp/kfp/outputs'

type Json = Record<string, unknown>
type TaskState = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'SKIPPED' | 'CANCELED'

export interface KfpPlaneRunOptions {
  namespace: string
  /** The IR (protobuf JSON, camelCase), as the KFP API received it. */
  pipelineSpec: Json
  /** `{ platforms: { kubernetes: { deploymentSpec: { executors } } } }`, or `{}`. */
  platformSpec?: Json
  /** The run's `runtime_config.parameters`. */
  parameters?: Record<string, unknown>
  /** Stands for `{{$.pipeline_job_uuid}}`; names the pods. */
  runId: string
  /** Aborting cancels the run: running pods are deleted, nothing new starts. */
  signal?: AbortSignal
  /** Seconds a pod may take from creation to its end before it fails. @default 600 */
  taskTimeoutSeconds?: number
}

export interface KfpPlaneTask {
  state: TaskState
  attempts: number
  pods: string[]
  outputs: Record<string, string>
  error?: string
}

export interface KfpPlaneRunResult {
  state: 'SUCCEEDED' | 'FAILED' | 'CANCELED'
  tasks: Record<string, KfpPlaneTask>
}

const podName = (runId: string, task: string, attempt: number): string =>
  `kfp-${runId.slice(0, 8)}-${task}`.slice(0, 55).replace(/-+$/, '') + `-${attempt}`

/** `{{$.inputs.parameters['x']}}`, `{{$.outputs.parameters['x'].output_file}}`, `{{$.pipeline_job_uuid}}`. */
function substitute(text: string, inputs: Record<string, unknown>, runId: string): string {
  return text.replaceAll(/\{\{\$\.([^}]*)\}\}/g, (whole, inner: string) => {
    const input = /^inputs\.parameters\['([^']+)'\]$/.exec(inner)
    if (input) {
      const value = inputs[input[1] ?? '']
      if (value === undefined) throw new Error(`placeholder ${whole}: the task has no such input`)
      return typeof value === 'string' ? value : JSON.stringify(value)
    }
    const output = /^outputs\.parameters\['([^']+)'\]\.output_file$/.exec(inner)
    if (output) return `${OUTPUTS_DIR}/${output[1]}`
    if (inner === 'pipeline_job_uuid') return runId
    if (inner === 'pipeline_job_name') return `run-${runId}`
    throw new Error(`placeholder ${whole} is not emulated by the KFP test runner`)
  })
}

const constantOf = (parameter: unknown, fallback: unknown): string =>
  String(
    (parameter as { runtimeValue?: { constant?: unknown } } | undefined)?.runtimeValue?.constant ?? fallback,
  )

/** The pod a KFP backend would make for one task attempt: container as written, platform spec applied. */
function taskPod(options: {
  name: string
  runId: string
  task: string
  container: Json
  kubernetes: Json
  inputs: Record<string, unknown>
  outputsHostDir: string
}): V1Pod {
  const { container, kubernetes: k8s } = options
  const env: V1EnvVar[] = ((container.env as Array<{ name: string; value: string }> | undefined) ?? []).map(
    (variable) => ({ name: variable.name, value: variable.value }),
  )
  for (const item of (k8s.secretAsEnv as Json[] | undefined) ?? []) {
    for (const map of item.keyToEnv as Array<{ secretKey: string; envVar: string }>)
      env.push({
        name: map.envVar,
        valueFrom: {
          secretKeyRef: {
            name: constantOf(item.secretNameParameter, item.secretName),
            key: map.secretKey,
            optional: item.optional === true,
          },
        },
      })
  }
  for (const item of (k8s.configMapAsEnv as Json[] | undefined) ?? []) {
    for (const map of item.keyToEnv as Array<{ configMapKey: string; envVar: string }>)
      env.push({
        name: map.envVar,
        valueFrom: {
          configMapKeyRef: {
            name: constantOf(item.configMapNameParameter, item.configMapName),
            key: map.configMapKey,
            optional: item.optional === true,
          },
        },
      })
  }
  for (const item of (k8s.fieldPathAsEnv as Array<{ name: string; fieldPath: string }> | undefined) ?? [])
    env.push({ name: item.name, valueFrom: { fieldRef: { fieldPath: item.fieldPath } } })

  const volumes: V1Volume[] = [
    { name: 'kfp-outputs', hostPath: { path: options.outputsHostDir, type: 'Directory' } },
  ]
  const mounts: V1VolumeMount[] = [{ name: 'kfp-outputs', mountPath: OUTPUTS_DIR }]
  const addVolume = (volume: Omit<V1Volume, 'name'>, mountPath: string, subPath?: string) => {
    const name = `volume-${volumes.length}`
    volumes.push({ name, ...volume })
    mounts.push({ name, mountPath, ...(subPath ? { subPath } : {}) })
  }
  for (const item of (k8s.configMapAsVolume as Json[] | undefined) ?? [])
    addVolume(
      {
        configMap: {
          name: constantOf(item.configMapNameParameter, item.configMapName),
          optional: item.optional === true,
        },
      },
      String(item.mountPath),
    )
  for (const item of (k8s.secretAsVolume as Json[] | undefined) ?? [])
    addVolume(
      {
        secret: {
          secretName: constantOf(item.secretNameParameter, item.secretName),
          optional: item.optional === true,
        },
      },
      String(item.mountPath),
    )
  for (const item of (k8s.pvcMount as Json[] | undefined) ?? [])
    addVolume(
      { persistentVolumeClaim: { claimName: constantOf(item.pvcNameParameter, item.constant) } },
      String(item.mountPath),
      item.subPath as string | undefined,
    )
  for (const item of (k8s.emptyDirMounts as Json[] | undefined) ?? [])
    addVolume(
      {
        emptyDir: {
          ...(item.medium ? { medium: String(item.medium) } : {}),
          ...(item.sizeLimit ? { sizeLimit: String(item.sizeLimit) } : {}),
        },
      },
      String(item.mountPath),
    )

  const resources = (container.resources ?? {}) as Json
  const requests: Record<string, string> = {}
  const limits: Record<string, string> = {}
  if (resources.resourceCpuRequest) requests.cpu = String(resources.resourceCpuRequest)
  if (resources.resourceMemoryRequest) requests.memory = String(resources.resourceMemoryRequest)
  if (resources.resourceCpuLimit) limits.cpu = String(resources.resourceCpuLimit)
  if (resources.resourceMemoryLimit) limits.memory = String(resources.resourceMemoryLimit)
  const accelerator = resources.accelerator as { resourceType?: string; resourceCount?: string } | undefined
  if (accelerator?.resourceType) limits[accelerator.resourceType] = String(accelerator.resourceCount ?? '1')

  const required: Json[] = []
  const preferred: Json[] = []
  for (const term of (k8s.nodeAffinity as Json[] | undefined) ?? []) {
    const selector = {
      ...(term.matchExpressions ? { matchExpressions: term.matchExpressions } : {}),
      ...(term.matchFields ? { matchFields: term.matchFields } : {}),
    }
    if (term.weight === undefined) required.push(selector)
    else preferred.push({ weight: term.weight, preference: selector })
  }
  const podTerms = {
    affinity: { required: [] as Json[], preferred: [] as Json[] },
    anti: { required: [] as Json[], preferred: [] as Json[] },
  }
  for (const term of (k8s.podAffinity as Json[] | undefined) ?? []) {
    const affinityTerm = {
      labelSelector: {
        ...(term.matchPodLabels ? { matchLabels: term.matchPodLabels } : {}),
        ...(term.matchPodExpressions ? { matchExpressions: term.matchPodExpressions } : {}),
      },
      topologyKey: term.topologyKey,
      ...(term.namespaces ? { namespaces: term.namespaces } : {}),
    }
    const side = term.anti ? podTerms.anti : podTerms.affinity
    if (term.weight === undefined) side.required.push(affinityTerm)
    else side.preferred.push({ weight: term.weight, podAffinityTerm: affinityTerm })
  }
  const podSection = (side: { required: Json[]; preferred: Json[] }) =>
    side.required.length + side.preferred.length === 0
      ? undefined
      : {
          ...(side.required.length ? { requiredDuringSchedulingIgnoredDuringExecution: side.required } : {}),
          ...(side.preferred.length
            ? { preferredDuringSchedulingIgnoredDuringExecution: side.preferred }
            : {}),
        }
  const affinity = {
    ...(required.length || preferred.length
      ? {
          nodeAffinity: {
            ...(required.length
              ? { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: required } }
              : {}),
            ...(preferred.length ? { preferredDuringSchedulingIgnoredDuringExecution: preferred } : {}),
          },
        }
      : {}),
    ...(podSection(podTerms.affinity) ? { podAffinity: podSection(podTerms.affinity) } : {}),
    ...(podSection(podTerms.anti) ? { podAntiAffinity: podSection(podTerms.anti) } : {}),
  }
  const metadata = (k8s.podMetadata ?? {}) as {
    labels?: Record<string, string>
    annotations?: Record<string, string>
  }
  const main: V1Container = {
    name: 'main',
    image: String(container.image),
    command: ((container.command as string[] | undefined) ?? []).map((part) =>
      substitute(part, options.inputs, options.runId),
    ),
    args: ((container.args as string[] | undefined) ?? []).map((part) =>
      substitute(part, options.inputs, options.runId),
    ),
    env,
    volumeMounts: mounts,
    ...(Object.keys(requests).length + Object.keys(limits).length > 0
      ? {
          resources: {
            ...(Object.keys(requests).length ? { requests } : {}),
            ...(Object.keys(limits).length ? { limits } : {}),
          },
        }
      : {}),
  }
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: options.name,
      labels: {
        ...metadata.labels,
        'strata.test/kfp-run': options.runId,
        'strata.test/kfp-task': options.task,
      },
      ...(metadata.annotations ? { annotations: metadata.annotations } : {}),
    },
    spec: {
      restartPolicy: 'Never',
      containers: [main],
      volumes,
      ...((k8s.nodeSelector as { labels?: Record<string, string> } | undefined)?.labels
        ? { nodeSelector: (k8s.nodeSelector as { labels: Record<string, string> }).labels }
        : {}),
      ...(k8s.tolerations
        ? {
            tolerations: (k8s.tolerations as Json[]).map(
              (toleration): V1Toleration => ({
                ...toleration,
                ...(toleration.tolerationSeconds === undefined
                  ? {}
                  : { tolerationSeconds: Number(toleration.tolerationSeconds) }),
              }),
            ),
          }
        : {}),
      ...(Object.keys(affinity).length > 0 ? { affinity: affinity as V1Affinity } : {}),
      ...(k8s.imagePullSecret
        ? {
            imagePullSecrets: (k8s.imagePullSecret as Json[]).map((item) => ({
              name: constantOf(item.secretNameParameter, item.secretName),
            })),
          }
        : {}),
    },
  }
}

const STUCK = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'CreateContainerConfigError'])

/**
 * Runs a compiled KFP pipeline's tasks on the test plane: each task once its `dependentTasks` succeeded
 * (skipped when one failed), one pod per attempt (`retryPolicy.maxRetryCount` more on failure), inputs
 * taken from producers' output files, every placeholder it knows filled in. See the file's header for
 * what this stand-in is and is not.
 */
export async function runKfpPipelineOnPlane(
  plane: KubernetesTestPlane,
  options: KfpPlaneRunOptions,
): Promise<KfpPlaneRunResult> {
  const core = plane.kubeConfig().makeApiClient(CoreV1Api)
  const spec = options.pipelineSpec as {
    components: Record<
      string,
      { executorLabel: string; outputDefinitions?: { parameters?: Record<string, unknown> } }
    >
    deploymentSpec: { executors: Record<string, { container: Json }> }
    root: {
      dag: {
        tasks: Record<
          string,
          {
            componentRef: { name: string }
            dependentTasks?: string[]
            inputs?: { parameters?: Record<string, Json> }
            retryPolicy?: { maxRetryCount?: number }
          }
        >
      }
      inputDefinitions?: { parameters?: Record<string, { defaultValue?: unknown }> }
    }
  }
  const platform =
    (
      options.platformSpec as
        | { platforms?: { kubernetes?: { deploymentSpec?: { executors?: Record<string, Json> } } } }
        | undefined
    )?.platforms?.kubernetes?.deploymentSpec?.executors ?? {}
  const tasks: Record<string, KfpPlaneTask> = Object.fromEntries(
    Object.keys(spec.root.dag.tasks).map((key) => [
      key,
      { state: 'PENDING' as TaskState, attempts: 0, pods: [], outputs: {} },
    ]),
  )
  const rootValue = (name: string): unknown =>
    options.parameters?.[name] ?? spec.root.inputDefinitions?.parameters?.[name]?.defaultValue

  const runTask = async (key: string): Promise<void> => {
    const task = spec.root.dag.tasks[key]
    const state = tasks[key]
    const component = task && spec.components[task.componentRef.name]
    const container = component && spec.deploymentSpec.executors[component.executorLabel]?.container
    if (!task || !state || !component || !container) throw new Error(`task ${key}: no component or executor`)
    const inputs: Record<string, unknown> = {}
    for (const [name, source] of Object.entries(task.inputs?.parameters ?? {})) {
      const fromTask = source.taskOutputParameter as
        | { producerTask: string; outputParameterKey: string }
        | undefined
      if (fromTask) inputs[name] = tasks[fromTask.producerTask]?.outputs[fromTask.outputParameterKey]
      else if (source.componentInputParameter)
        inputs[name] = rootValue(String(source.componentInputParameter))
      else inputs[name] = (source.runtimeValue as { constant?: unknown } | undefined)?.constant
    }
    const attempts = 1 + (task.retryPolicy?.maxRetryCount ?? 0)
    state.state = 'RUNNING'
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (options.signal?.aborted) {
        state.state = 'CANCELED'
        return
      }
      state.attempts = attempt
      const name = podName(options.runId, key, attempt)
      const outputsHostDir = join(plane.stateDir, 'kfp-outputs', name)
      await mkdir(outputsHostDir, { recursive: true, mode: 0o777 })
      let pod: V1Pod
      try {
        pod = taskPod({
          name,
          runId: options.runId,
          task: key,
          container,
          kubernetes: platform[component.executorLabel] ?? {},
          inputs,
          outputsHostDir,
        })
      } catch (error) {
        state.state = 'FAILED'
        state.error = (error as Error).message
        return
      }
      await core.createNamespacedPod({ namespace: options.namespace, body: pod })
      state.pods.push(name)
      const ended = await waitForPod(core, options, name)
      if (ended === 'Canceled') {
        state.state = 'CANCELED'
        return
      }
      if (ended === 'Succeeded') {
        for (const output of Object.keys(component.outputDefinitions?.parameters ?? {}))
          state.outputs[output] = await readFile(join(outputsHostDir, output), 'utf8')
        state.state = 'SUCCEEDED'
        return
      }
      state.error = ended
    }
    state.state = 'FAILED'
  }

  const running = new Map<string, Promise<void>>()
  for (;;) {
    for (const [key, task] of Object.entries(spec.root.dag.tasks)) {
      const state = tasks[key]
      if (state?.state !== 'PENDING' || running.has(key)) continue
      const dependencies = (task.dependentTasks ?? []).map((dependency) => tasks[dependency]?.state)
      if (options.signal?.aborted) {
        state.state = 'CANCELED'
        continue
      }
      if (dependencies.some((each) => each === 'FAILED' || each === 'SKIPPED' || each === 'CANCELED')) {
        state.state = 'SKIPPED'
        continue
      }
      if (dependencies.every((each) => each === 'SUCCEEDED'))
        running.set(
          key,
          runTask(key).finally(() => running.delete(key)),
        )
    }
    if (running.size === 0) break
    await Promise.race(running.values())
  }
  const states = Object.values(tasks).map((task) => task.state)
  return {
    state: states.includes('CANCELED')
      ? 'CANCELED'
      : states.includes('FAILED') || states.includes('SKIPPED')
        ? 'FAILED'
        : 'SUCCEEDED',
    tasks,
  }
}

/** Waits for a pod's end: `Succeeded`, `Canceled` (the run was), or why it failed. */
async function waitForPod(core: CoreV1Api, options: KfpPlaneRunOptions, name: string): Promise<string> {
  const deadline = Date.now() + (options.taskTimeoutSeconds ?? 600) * 1000
  for (;;) {
    if (options.signal?.aborted) {
      await core
        .deleteNamespacedPod({ namespace: options.namespace, name, gracePeriodSeconds: 5 })
        .catch(() => {})
      return 'Canceled'
    }
    const pod = await core.readNamespacedPod({ namespace: options.namespace, name })
    if (pod.status?.phase === 'Succeeded') return 'Succeeded'
    if (pod.status?.phase === 'Failed') {
      const terminated = pod.status.containerStatuses?.[0]?.state?.terminated
      return `pod ${name} failed (exit code ${terminated?.exitCode ?? '?'}${terminated?.reason ? `, ${terminated.reason}` : ''})`
    }
    const waiting = pod.status?.containerStatuses?.[0]?.state?.waiting
    if (waiting?.reason && STUCK.has(waiting.reason)) {
      await core
        .deleteNamespacedPod({ namespace: options.namespace, name, gracePeriodSeconds: 0 })
        .catch(() => {})
      return `pod ${name} cannot start: ${waiting.reason} (${waiting.message ?? ''})`
    }
    if (Date.now() > deadline) return `pod ${name} did not end within ${options.taskTimeoutSeconds ?? 600} s`
    await sleep(250)
  }
}
