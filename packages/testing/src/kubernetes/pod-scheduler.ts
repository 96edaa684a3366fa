import type { V1Node, V1Pod } from '@kubernetes/client-node'
import { apiTime, EventRecorder } from './event-recorder.js'
import { type Informer, startInformer } from './informer.js'
import { isGone, type KubeApi } from './kube-api.js'
import { type NodeView, unschedulableReason } from './node-fit.js'
import { parseQuantity } from './quantity.js'

/** What the scheduler half of the agent works with. */
export interface PodSchedulerOptions {
  /** Authenticated as `system:kube-scheduler`, whose RBAC role allows bindings and pod status. */
  api: KubeApi
  nodeName: string
  /** The node's non-terminal pods, from the kubelet half's informer. */
  boundPods: () => V1Pod[]
  log: (line: string) => void
}

const RETRY_MS = 5000
const ASSUME_MS = 30_000

/**
 * Stands in for kube-scheduler with one node: binds each pending pod that fits the node (Binding
 * subresource) and marks the others `PodScheduled=False` (reason `Unschedulable` or `SchedulingGated`),
 * retrying them when the node or its pods change, and every few seconds.
 */
export class PodScheduler {
  private readonly options: PodSchedulerOptions
  private readonly events: EventRecorder
  private pods: Informer<V1Pod> | undefined
  private nodes: Informer<V1Node> | undefined
  /**
   * Bound by us but maybe not yet in the kubelet's informer: their requests count as used until the
   * kubelet half has them, or for ASSUME_MS (a pod deleted right after its binding), as kube-scheduler's
   * assume cache does.
   */
  private readonly assumed = new Map<string, { pod: V1Pod; at: number }>()
  private readonly inFlight = new Set<string>()
  private timer: NodeJS.Timeout | undefined

  constructor(options: PodSchedulerOptions) {
    this.options = options
    this.events = new EventRecorder(options.api, 'default-scheduler', options.nodeName, options.log)
  }

  async start(): Promise<void> {
    const { api, log, nodeName } = this.options
    this.nodes = startInformer<V1Node>(
      api,
      '/api/v1/nodes',
      `fieldSelector=${encodeURIComponent(`metadata.name=${nodeName}`)}`,
      { upsert: () => this.scheduleAll(), remove: () => {} },
      log,
    )
    this.pods = startInformer<V1Pod>(
      api,
      '/api/v1/pods',
      `fieldSelector=${encodeURIComponent('spec.nodeName=,status.phase!=Succeeded,status.phase!=Failed')}`,
      // A bound pod leaves this list at once; it stays assumed until the kubelet half lists it.
      { upsert: (pod) => void this.schedule(pod), remove: () => {} },
      log,
    )
    await Promise.all([this.nodes.synced, this.pods.synced])
    this.timer = setInterval(() => this.scheduleAll(), RETRY_MS)
  }

  /** Tries every pending pod again: the node changed or a pod released resources. */
  scheduleAll(): void {
    for (const pod of this.pods?.objects.values() ?? []) void this.schedule(pod)
  }

  stop(): void {
    clearInterval(this.timer)
    this.pods?.stop()
    this.nodes?.stop()
  }

  private nodeView(): NodeView | undefined {
    const node = [...(this.nodes?.objects.values() ?? [])][0]
    if (!node) return undefined
    const allocatable = node.status?.allocatable ?? {}
    return {
      name: this.options.nodeName,
      labels: node.metadata?.labels ?? {},
      taints: node.spec?.taints ?? [],
      unschedulable: node.spec?.unschedulable === true,
      allocatable: {
        cpu: parseQuantity(allocatable.cpu ?? '0'),
        memory: parseQuantity(allocatable.memory ?? '0'),
        pods: parseQuantity(allocatable.pods ?? '0'),
      },
    }
  }

  private async schedule(pod: V1Pod): Promise<void> {
    const uid = pod.metadata?.uid ?? ''
    const spec = pod.spec
    if (!spec || spec.nodeName || pod.metadata?.deletionTimestamp || this.inFlight.has(uid)) return
    if ((spec.schedulerName ?? 'default-scheduler') !== 'default-scheduler') return
    const node = this.nodeView()
    if (!node) return
    this.inFlight.add(uid)
    try {
      if (spec.schedulingGates?.length) {
        await this.markUnscheduled(
          pod,
          'SchedulingGated',
          'Scheduling is blocked due to non-empty scheduling gates',
        )
        return
      }
      const bound = this.options.boundPods()
      const boundUids = new Set(bound.map((each) => each.metadata?.uid))
      for (const [assumedUid, { at }] of this.assumed) {
        if (boundUids.has(assumedUid) || Date.now() - at > ASSUME_MS) this.assumed.delete(assumedUid)
      }
      const assumed = [...this.assumed.values()].map((each) => each.pod)
      const reason = unschedulableReason(pod, node, [...bound, ...assumed])
      if (reason) {
        await this.markUnscheduled(pod, 'Unschedulable', `0/1 nodes are available: 1 ${reason}.`)
        return
      }
      const { namespace, name } = pod.metadata ?? {}
      await this.options.api.post(`/api/v1/namespaces/${namespace}/pods/${name}/binding`, {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name, namespace, uid },
        target: { apiVersion: 'v1', kind: 'Node', name: node.name },
      })
      this.assumed.set(uid, { pod, at: Date.now() })
      this.events.emit(
        pod,
        'Normal',
        'Scheduled',
        `Successfully assigned ${namespace}/${name} to ${node.name}`,
      )
    } catch (error) {
      if (!isGone(error)) this.options.log(`scheduling ${pod.metadata?.name}: ${(error as Error).message}`)
    } finally {
      this.inFlight.delete(uid)
    }
  }

  private async markUnscheduled(pod: V1Pod, reason: string, message: string): Promise<void> {
    const current = pod.status?.conditions?.find((condition) => condition.type === 'PodScheduled')
    if (current?.status === 'False' && current.reason === reason && current.message === message) return
    const { namespace, name, uid } = pod.metadata ?? {}
    await this.options.api.strategicPatch(`/api/v1/namespaces/${namespace}/pods/${name}/status`, {
      metadata: { uid },
      status: {
        conditions: [
          { type: 'PodScheduled', status: 'False', reason, message, lastTransitionTime: apiTime() },
        ],
      },
    })
    if (reason === 'Unschedulable') this.events.emit(pod, 'Warning', 'FailedScheduling', message)
  }
}
