import { setTimeout as sleep } from 'node:timers/promises'
import type { V1Job, V1Pod } from '@kubernetes/client-node'
import type { KubeClient } from './kube-client.js'

/** How a Job ended, if it has. */
export type JobEnd = { state: 'complete' } | { state: 'failed'; reason: string; message: string }

export function jobEnd(job: V1Job | undefined): JobEnd | undefined {
  for (const condition of job?.status?.conditions ?? []) {
    if (condition.status !== 'True') continue
    if (condition.type === 'Complete') return { state: 'complete' }
    if (condition.type === 'Failed')
      return {
        state: 'failed',
        reason: condition.reason ?? 'Failed',
        message: condition.message ?? '',
      }
  }
  return undefined
}

/** A container of the pod waiting for one of `reasons` (an image that cannot be pulled, a bad spec). */
export function stuckContainer(
  pod: V1Pod,
  reasons: readonly string[],
): { container: string; reason: string; message: string } | undefined {
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]
  for (const status of statuses) {
    const waiting = status.state?.waiting
    if (waiting?.reason && reasons.includes(waiting.reason))
      return { container: status.name, reason: waiting.reason, message: waiting.message ?? '' }
  }
  return undefined
}

/**
 * One look at all the Jobs and pods of a run per interval, shared by everything waiting on them: a run of
 * 100 running steps costs two list calls per interval, not 200.
 */
export class RunMonitor {
  readonly #client: KubeClient
  readonly #selector: string
  readonly #intervalMs: number
  #looking: Promise<void> | undefined
  #lastLook = 0
  #jobs = new Map<string, V1Job>()
  #pods: V1Pod[] = []

  constructor(client: KubeClient, selector: string, intervalMs: number) {
    this.#client = client
    this.#selector = selector
    this.#intervalMs = intervalMs
  }

  /** Resolves after a fresh look (at most one per interval, joined by every caller meanwhile). */
  look(signal?: AbortSignal): Promise<void> {
    this.#looking ??= (async () => {
      const wait = this.#lastLook + this.#intervalMs - Date.now()
      if (wait > 0) await sleep(wait, undefined, signal ? { signal } : undefined).catch(() => {})
      const { namespace } = this.#client
      const [jobs, pods] = await Promise.all([
        this.#client.call('list the run’s Jobs', () =>
          this.#client.batch.listNamespacedJob({ namespace, labelSelector: this.#selector }),
        ),
        this.#client.call('list the run’s pods', () =>
          this.#client.core.listNamespacedPod({ namespace, labelSelector: this.#selector }),
        ),
      ])
      this.#jobs = new Map(jobs.items.map((item) => [item.metadata?.name ?? '', item]))
      this.#pods = pods.items
      this.#lastLook = Date.now()
    })().finally(() => {
      this.#looking = undefined
    })
    return this.#looking
  }

  job(name: string): V1Job | undefined {
    return this.#jobs.get(name)
  }

  /** The pods of a Job (the Job controller labels them with its name). */
  podsOf(jobName: string): V1Pod[] {
    return this.#pods.filter((pod) => pod.metadata?.labels?.['batch.kubernetes.io/job-name'] === jobName)
  }
}

/** A container of the pod that ended with a non-zero exit: its exit code and termination message. */
export function failedContainer(pod: V1Pod): { exitCode: number; message: string } | undefined {
  for (const status of pod.status?.containerStatuses ?? []) {
    const terminated = status.state?.terminated
    if (terminated && terminated.exitCode !== 0)
      return { exitCode: terminated.exitCode, message: terminated.message?.trim() ?? '' }
  }
  return undefined
}
