import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { containerEnv } from './container-env.js'
import { ContainerStartError, startContainerProcess } from './container-process.js'
import { sandboxScript } from './container-sandbox.js'
import { apiTime } from './event-recorder.js'
import { findImage } from './image-runtimes.js'
import { ContainerConfigError } from './pod-objects.js'
import type { ContainerRecord } from './pod-status.js'
import type { PodVolume } from './pod-volumes.js'
import type { PodWorker, PodWorkerContext } from './pod-worker.js'
import { prepareContainer } from './prepare-container.js'
import { abortableSleep, logTail } from './running-container.js'

/** One container of a pod worker, with what it needs to run. */
export interface ContainerRunContext {
  worker: PodWorker
  record: ContainerRecord
  volumes: Map<string, PodVolume>
  agent: PodWorkerContext
  /** Aborts when the pod is terminating. */
  signal: AbortSignal
  /** The record changed: report it. */
  changed(): void
}

const CONFIG_RETRY_MS = 2000
const FOREVER = 2 ** 31 - 1

function emit(
  context: ContainerRunContext,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
): void {
  const { spec, init } = context.record
  context.agent.events.emit(context.worker.pod, type, reason, message, { name: spec.name, init })
}

/**
 * Runs a container until it will not be restarted: its exit code, or -1 when the pod stopped first.
 * Restarts follow the pod's restartPolicy (init containers restart only after a failure) with the kubelet's
 * crash-loop back-off: the first restart at once, then waits doubling from `initialMs` to `maxMs`,
 * measured from the previous restart.
 */
export async function runContainer(context: ContainerRunContext, policy: string): Promise<number> {
  const { record } = context
  const { initialMs, maxMs } = context.agent.restartBackoff
  let backoff = 0
  let lastRestart = 0
  for (;;) {
    const exitCode = await runOnce(context)
    if (exitCode === undefined || context.signal.aborted) return exitCode ?? -1
    const restart = record.init
      ? exitCode !== 0 && policy !== 'Never'
      : policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0)
    if (!restart) return exitCode
    const wait = backoff === 0 ? 0 : lastRestart + backoff - Date.now()
    if (wait > 0) {
      const { name } = record.spec
      const { namespace, name: podName, uid } = context.worker.pod.metadata ?? {}
      record.lastState = record.state
      record.state = {
        waiting: {
          reason: 'CrashLoopBackOff',
          message: `back-off ${Math.round(backoff / 1000)}s restarting failed container=${name} pod=${podName}_${namespace}(${uid})`,
        },
      }
      emit(
        context,
        'Warning',
        'BackOff',
        `Back-off restarting failed container ${name} in pod ${podName}_${namespace}(${uid})`,
      )
      context.changed()
      await abortableSleep(wait, context.signal)
      if (context.signal.aborted) return exitCode
    }
    backoff = backoff === 0 ? initialMs : Math.min(backoff * 2, maxMs)
    lastRestart = Date.now()
    const terminated = record.state.terminated ?? record.lastState.terminated
    record.lastState = terminated ? { terminated } : {}
    record.restartCount++
  }
}

async function imagePullFailure(context: ContainerRunContext, image: string): Promise<undefined> {
  const known = Object.keys(context.agent.images)
  const message = `Failed to pull image "${image}": the Strata test plane's node agent has no runtime for this image (it has: ${known.join(', ')}; startKubernetesTestPlane({ images }) adds one)`
  context.record.state = { waiting: { reason: 'ErrImagePull', message } }
  emit(context, 'Warning', 'Failed', message)
  emit(context, 'Warning', 'Failed', 'Error: ErrImagePull')
  context.changed()
  await abortableSleep(context.agent.imagePullBackoffMs, context.signal)
  if (context.signal.aborted) return undefined
  context.record.state = {
    waiting: {
      reason: 'ImagePullBackOff',
      message: `Back-off pulling image "${image}": ErrImagePull: ${message}`,
    },
  }
  emit(context, 'Normal', 'BackOff', `Back-off pulling image "${image}"`)
  emit(context, 'Warning', 'Failed', 'Error: ImagePullBackOff')
  context.changed()
  // The node's images are fixed when the plane starts: the pull never succeeds.
  await abortableSleep(FOREVER, context.signal)
  return undefined
}

/** One container instance: its exit code, or undefined when the pod stopped before it ran. */
async function runOnce(context: ContainerRunContext): Promise<number | undefined> {
  const { record, worker, agent } = context
  const imageName = record.spec.image ?? ''
  const image = findImage(agent.images, imageName)
  if (!image) return imagePullFailure(context, imageName)
  emit(context, 'Normal', 'Pulled', `Container image "${imageName}" already present on machine`)
  let prepared: Awaited<ReturnType<typeof prepareContainer>> | undefined
  let reported = ''
  while (!prepared) {
    if (context.signal.aborted) return undefined
    try {
      const env = await containerEnv(
        worker.pod,
        record.spec,
        agent.objects,
        agent.serviceEnv,
        agent.allocatable,
      )
      prepared = await prepareContainer(context, image, env)
    } catch (error) {
      if (!(error instanceof ContainerConfigError)) throw error
      if (error.message !== reported) {
        reported = error.message
        record.state = { waiting: { reason: error.reason, message: error.message } }
        emit(context, 'Warning', 'Failed', `Error: ${error.message}`)
        context.changed()
      }
      // The kubelet retries: a Secret created later lets the container start.
      await abortableSleep(error.retryable ? CONFIG_RETRY_MS : FOREVER, context.signal)
    }
  }
  const { name } = record.spec
  const instance = `${name}-${record.restartCount}`
  const containerID = `strata://${worker.uid}/${instance}`
  const logPath = join(
    agent.logsDir,
    `${worker.pod.metadata?.namespace}_${worker.pod.metadata?.name}_${worker.uid}`,
    name,
    `${record.restartCount}.log`,
  )
  const rootDir = join(worker.podDir, 'rootfs', instance)
  await mkdir(rootDir, { recursive: true })
  const script = join(worker.podDir, `${instance}.sh`)
  await writeFile(script, sandboxScript({ ...prepared.plan, rootDir }))
  emit(context, 'Normal', 'Created', `Created container: ${name}`)
  let process: Awaited<ReturnType<typeof startContainerProcess>>
  try {
    process = await startContainerProcess(script, prepared.argv, prepared.env, logPath)
  } catch (error) {
    if (!(error instanceof ContainerStartError)) throw error
    const message = `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: ${error.message}: unknown`
    record.state = {
      terminated: { exitCode: 128, reason: 'StartError', message, finishedAt: apiTime(), containerID },
    }
    record.containerID = containerID
    emit(context, 'Warning', 'Failed', `Error: ${message}`)
    context.changed()
    return 128
  }
  const startedAt = apiTime(process.startedAt)
  const settled = process.exited
  worker.running.set(name, { record, process, settled, logPath })
  if (context.signal.aborted) process.signalGroup('SIGTERM')
  record.containerID = containerID
  record.state = { running: { startedAt } }
  record.started = true
  record.ready = !record.init
  emit(context, 'Normal', 'Started', `Started container ${name}`)
  context.changed()
  const exit = await settled
  worker.running.delete(name)
  const fallback = record.spec.terminationMessagePolicy === 'FallbackToLogsOnError' && exit.exitCode !== 0
  const message = fallback ? await logTail(logPath) : ''
  record.state = {
    terminated: {
      exitCode: exit.exitCode,
      reason: exit.exitCode === 0 ? 'Completed' : 'Error',
      ...(message ? { message } : {}),
      startedAt,
      finishedAt: apiTime(exit.finishedAt),
      containerID,
    },
  }
  record.started = false
  // A completed init container reports ready; a stopped container does not.
  record.ready = record.init && exit.exitCode === 0
  context.changed()
  return exit.exitCode
}
