import type { V1Pod } from '@kubernetes/client-node'
import type { KubeApi } from './kube-api.js'

/**
 * Records core/v1 Events about pods, as the kubelet and kube-scheduler do, so `kubectl describe pod` and
 * tests that read events see the usual story (Scheduled, Pulled, Created, Started, Killing, Failed, ...).
 * Messages name objects and keys, never values: tests scan events for secret values.
 */
export class EventRecorder {
  private readonly api: KubeApi
  private readonly component: string
  private readonly host: string
  private readonly log: (line: string) => void
  private sequence = 0

  constructor(api: KubeApi, component: string, host: string, log: (line: string) => void) {
    this.api = api
    this.component = component
    this.host = host
    this.log = log
  }

  /**
   * Posts one event about `pod` (never throws: an event that cannot be written is logged).
   * @param container the container it is about, for `involvedObject.fieldPath`
   */
  emit(
    pod: V1Pod,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    container?: { name: string; init?: boolean },
  ): void {
    const namespace = pod.metadata?.namespace ?? 'default'
    const now = new Date()
    // client-go names events <object>.<unix nanos in hex>; a counter keeps names unique within a millisecond.
    const nanos = BigInt(now.getTime()) * 1_000_000n + BigInt(this.sequence++ % 1_000_000)
    const event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${pod.metadata?.name}.${nanos.toString(16)}`, namespace },
      involvedObject: {
        apiVersion: 'v1',
        kind: 'Pod',
        namespace,
        name: pod.metadata?.name,
        uid: pod.metadata?.uid,
        resourceVersion: pod.metadata?.resourceVersion,
        ...(container
          ? { fieldPath: `spec.${container.init ? 'initContainers' : 'containers'}{${container.name}}` }
          : {}),
      },
      type,
      reason,
      message,
      source: { component: this.component, host: this.host },
      reportingComponent: this.component,
      reportingInstance: this.host,
      firstTimestamp: now.toISOString().replace(/\.\d+Z$/, 'Z'),
      lastTimestamp: now.toISOString().replace(/\.\d+Z$/, 'Z'),
      count: 1,
    }
    this.api
      .post(`/api/v1/namespaces/${namespace}/events`, event)
      .catch((error: Error) =>
        this.log(`event ${reason} for ${namespace}/${pod.metadata?.name}: ${error.message}`),
      )
  }
}

/** An RFC 3339 timestamp with second precision, as the API server stores `metav1.Time`. */
export function apiTime(date: Date = new Date()): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z')
}
