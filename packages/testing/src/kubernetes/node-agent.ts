import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { V1Pod, V1Taint } from '@kubernetes/client-node'
import { EventRecorder } from './event-recorder.js'
import type { ImageRuntime } from './image-runtimes.js'
import { type Informer, startInformer } from './informer.js'
import { isGone, KubeApi } from './kube-api.js'
import { registerNode } from './node-registration.js'
import { PodObjects } from './pod-objects.js'
import { PodScheduler } from './pod-scheduler.js'
import { PodWorker } from './pod-worker.js'
import type { RunningContainerInfo } from './running-container.js'

/** Everything the agent process is told at start (written as JSON by the plane). */
export interface NodeAgentConfig {
  server: string
  /** PEM of the API server's CA. */
  ca: string
  /** Token of `system:node:<nodeName>` (group system:nodes). */
  nodeToken: string
  /** Token of `system:kube-scheduler`. */
  schedulerToken: string
  nodeName: string
  labels: Record<string, string>
  taints: V1Taint[]
  allocatable: { cpu: string; memory: string; pods: string }
  kubernetesVersion: string
  stateDir: string
  images: Record<string, ImageRuntime>
  serviceEnv: Record<string, string>
  restartBackoff: { initialMs: number; maxMs: number }
  imagePullBackoffMs: number
}

const TERMINAL = new Set(['Succeeded', 'Failed'])

/**
 * The kubelet and scheduler stand-in: registers the node, binds pods to it, and runs each bound pod with
 * a {@link PodWorker}. One instance per agent process.
 */
export class NodeAgent {
  private readonly config: NodeAgentConfig
  private readonly log: (line: string) => void
  private readonly nodeApi: KubeApi
  private readonly workers = new Map<string, PodWorker>()
  /** Pods already handled (run, or confirmed deleted), so a stale event never starts one twice. */
  private readonly seen = new Set<string>()
  private scheduler: PodScheduler | undefined
  private pods: Informer<V1Pod> | undefined
  private registration: { stop(): void } | undefined

  private constructor(config: NodeAgentConfig, log: (line: string) => void) {
    this.config = config
    this.log = log
    this.nodeApi = new KubeApi({
      server: config.server,
      ca: config.ca,
      token: config.nodeToken,
      userAgent: `strata-node-agent/${config.nodeName}`,
    })
  }

  /** Registers the node and starts scheduling and running pods; resolves once both watches are synced. */
  static async start(config: NodeAgentConfig, log: (line: string) => void): Promise<NodeAgent> {
    const agent = new NodeAgent(config, log)
    await agent.begin()
    return agent
  }

  private async begin(): Promise<void> {
    const { config, log } = this
    this.registration = await registerNode(this.nodeApi, { ...config, name: config.nodeName }, log)
    const context = {
      api: this.nodeApi,
      nodeName: config.nodeName,
      objects: new PodObjects(this.nodeApi),
      events: new EventRecorder(this.nodeApi, 'kubelet', config.nodeName, log),
      images: config.images,
      podsDir: join(config.stateDir, 'pods'),
      logsDir: join(config.stateDir, 'pod-logs'),
      serviceEnv: config.serviceEnv,
      allocatable: config.allocatable,
      restartBackoff: config.restartBackoff,
      imagePullBackoffMs: config.imagePullBackoffMs,
      log,
    }
    this.pods = startInformer<V1Pod>(
      this.nodeApi,
      '/api/v1/pods',
      `fieldSelector=${encodeURIComponent(`spec.nodeName=${config.nodeName}`)}`,
      { upsert: (pod) => this.upsert(pod, context), remove: (pod) => this.remove(pod) },
      log,
    )
    const schedulerApi = new KubeApi({
      server: config.server,
      ca: config.ca,
      token: config.schedulerToken,
      userAgent: 'strata-node-agent/scheduler',
    })
    this.scheduler = new PodScheduler({
      api: schedulerApi,
      nodeName: config.nodeName,
      boundPods: () =>
        [...(this.pods?.objects.values() ?? [])].filter((pod) => !TERMINAL.has(pod.status?.phase ?? '')),
      log,
    })
    await Promise.all([this.pods.synced, this.scheduler.start()])
  }

  private upsert(pod: V1Pod, context: ConstructorParameters<typeof PodWorker>[1]): void {
    const uid = pod.metadata?.uid ?? ''
    const worker = this.workers.get(uid)
    if (worker) {
      worker.update(pod)
      return
    }
    if (this.seen.has(uid)) return
    this.seen.add(uid)
    if (pod.metadata?.deletionTimestamp || TERMINAL.has(pod.status?.phase ?? '')) {
      // Not ours to run: deleted before it started, or finished under an earlier agent.
      if (pod.metadata?.deletionTimestamp) void this.confirmDeletion(pod)
      return
    }
    const fresh = new PodWorker(pod, context)
    this.workers.set(uid, fresh)
    void fresh.run().then(() => this.scheduler?.scheduleAll())
  }

  private remove(pod: V1Pod): void {
    const uid = pod.metadata?.uid ?? ''
    const worker = this.workers.get(uid)
    this.workers.delete(uid)
    worker?.vanished()
    void (worker?.runDone ?? Promise.resolve()).then(() =>
      rm(join(this.config.stateDir, 'pods', uid), { recursive: true, force: true }).catch(() => {}),
    )
    this.scheduler?.scheduleAll()
  }

  private async confirmDeletion(pod: V1Pod): Promise<void> {
    const { namespace, name, uid } = pod.metadata ?? {}
    try {
      // As the kubelet since 1.27: a pod deleted before it ran ends Failed, so the Job controller counts it.
      if (!TERMINAL.has(pod.status?.phase ?? '')) {
        await this.nodeApi.mergePatch(`/api/v1/namespaces/${namespace}/pods/${name}/status`, {
          metadata: { uid },
          status: { phase: 'Failed' },
        })
      }
      await this.nodeApi.delete(`/api/v1/namespaces/${namespace}/pods/${name}`, {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        gracePeriodSeconds: 0,
        preconditions: { uid },
      })
    } catch (error) {
      if (!isGone(error)) this.log(`deleting pod ${namespace}/${name}: ${(error as Error).message}`)
    }
  }

  /** The container processes alive now. */
  list(): RunningContainerInfo[] {
    return [...this.workers.values()].flatMap((worker) =>
      [...worker.running.values()].map((running) => ({
        namespace: worker.pod.metadata?.namespace ?? '',
        pod: worker.pod.metadata?.name ?? '',
        uid: worker.uid,
        container: running.record.spec.name,
        init: running.record.init,
        pid: running.process.pid,
        restartCount: running.record.restartCount,
        startedAt: running.process.startedAt.toISOString(),
        logPath: running.logPath,
      })),
    )
  }

  /**
   * Sends `signal` to the main process of the pod's running containers (or only `container`).
   * @throws Error when no such container is running
   */
  kill(namespace: string, pod: string, signal: NodeJS.Signals, container?: string): number {
    const targets = [...this.workers.values()]
      .filter((worker) => worker.pod.metadata?.namespace === namespace && worker.pod.metadata?.name === pod)
      .flatMap((worker) => [...worker.running.values()])
      .filter((running) => container === undefined || running.record.spec.name === container)
    if (targets.length === 0) {
      throw new Error(`no running container${container ? ` '${container}'` : ''} in pod ${namespace}/${pod}`)
    }
    for (const running of targets) running.process.signal(signal)
    return targets.length
  }

  /** Kills every container at once and stops watching (the plane is going away). */
  shutdown(): void {
    this.registration?.stop()
    this.scheduler?.stop()
    this.pods?.stop()
    for (const worker of this.workers.values()) worker.killNow()
  }
}
