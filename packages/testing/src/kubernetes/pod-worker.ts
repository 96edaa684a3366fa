import { rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { V1Pod } from '@kubernetes/client-node'
import { type ContainerRunContext, runContainer } from './container-runner.js'
import { apiTime, type EventRecorder } from './event-recorder.js'
import type { ImageRuntime } from './image-runtimes.js'
import { isGone, type KubeApi } from './kube-api.js'
import { ContainerConfigError, type PodObjects } from './pod-objects.js'
import { type ContainerRecord, type PodFacts, podStatus } from './pod-status.js'
import { materialiseVolumes, type PodVolume, type TokenFile } from './pod-volumes.js'
import { abortableSleep, type RunningContainer } from './running-container.js'

/** What every pod worker of one agent shares. */
export interface PodWorkerContext {
  /** As `system:node:<name>`. */
  api: KubeApi
  nodeName: string
  objects: PodObjects
  events: EventRecorder
  images: Record<string, ImageRuntime>
  /** `<state>/pods`: one directory per pod uid (volumes, sandbox roots, scripts). */
  podsDir: string
  /** `<state>/pod-logs`: `<namespace>_<name>_<uid>/<container>/<restartCount>.log`, as /var/log/pods. */
  logsDir: string
  /** `KUBERNETES_SERVICE_HOST`, `KUBERNETES_SERVICE_PORT`, ... */
  serviceEnv: Record<string, string>
  allocatable: Record<string, string>
  restartBackoff: { initialMs: number; maxMs: number }
  /** How long a missing image shows ErrImagePull before ImagePullBackOff. */
  imagePullBackoffMs: number
  log: (line: string) => void
}

const CONFIG_RETRY_MS = 2000

/**
 * Runs one pod to completion as the kubelet would: volumes, init containers in order, then the
 * containers with their restart policy, `activeDeadlineSeconds`, graceful deletion; and reports every
 * step through `pods/status` and events.
 */
export class PodWorker {
  pod: V1Pod
  readonly records: ContainerRecord[]
  readonly running = new Map<string, RunningContainer>()
  private readonly context: PodWorkerContext
  private readonly facts: PodFacts
  private readonly stopping = new AbortController()
  private terminated: Promise<void> | undefined
  private deleted: Promise<void> | undefined
  /** Settles when run() has returned. */
  runDone: Promise<void> = Promise.resolve()
  private killDeadline: { at: number; timer: NodeJS.Timeout } | undefined
  private readonly timers: NodeJS.Timeout[] = []
  private statusChain: Promise<void> = Promise.resolve()
  private statusQueued: Promise<void> | undefined
  private done = false

  constructor(pod: V1Pod, context: PodWorkerContext) {
    this.pod = pod
    this.context = context
    const record = (spec: ContainerRecord['spec'], init: boolean): ContainerRecord => ({
      spec,
      init,
      restartCount: 0,
      state: {
        waiting: {
          reason: init || !pod.spec?.initContainers?.length ? 'ContainerCreating' : 'PodInitializing',
        },
      },
      lastState: {},
      started: false,
      ready: false,
    })
    this.records = [
      ...(pod.spec?.initContainers ?? []).map((spec) => record(spec, true)),
      ...(pod.spec?.containers ?? []).map((spec) => record(spec, false)),
    ]
    this.facts = { phase: 'Pending', startTime: apiTime(), sandboxReady: false }
  }

  get uid(): string {
    return this.pod.metadata?.uid ?? ''
  }

  get podDir(): string {
    return join(this.context.podsDir, this.uid)
  }

  /** Runs the pod; resolves when it is done (terminal, or stopped). */
  run(): Promise<void> {
    this.runDone = this.runPod().catch((error: Error) =>
      this.context.log(
        `pod ${this.pod.metadata?.namespace}/${this.pod.metadata?.name}: ${error.stack ?? error.message}`,
      ),
    )
    return this.runDone
  }

  private async runPod(): Promise<void> {
    await this.syncStatus()
    const deadline = this.pod.spec?.activeDeadlineSeconds
    if (deadline !== undefined) {
      this.timers.push(setTimeout(() => void this.deadlineExceeded(), deadline * 1000))
    }
    const volumes = await this.setUpVolumes()
    if (!volumes || this.stopping.signal.aborted) return
    this.facts.sandboxReady = true
    const policy = this.pod.spec?.restartPolicy ?? 'Always'
    for (const record of this.records.filter((each) => each.init)) {
      const exitCode = await runContainer(this.runContext(record, volumes), policy)
      if (this.stopping.signal.aborted) return
      if (exitCode !== 0) return this.finish('Failed')
    }
    for (const record of this.records.filter((each) => !each.init && each.state.waiting)) {
      record.state = { waiting: { reason: 'ContainerCreating' } }
    }
    const codes = await Promise.all(
      this.records
        .filter((each) => !each.init)
        .map((record) => runContainer(this.runContext(record, volumes), policy)),
    )
    if (this.stopping.signal.aborted) return
    return this.finish(codes.every((code) => code === 0) ? 'Succeeded' : 'Failed')
  }

  /** The pod object changed: graceful deletion starts or its grace period shrinks. */
  update(pod: V1Pod): void {
    this.pod = pod
    if (pod.metadata?.deletionTimestamp) {
      void this.terminate(
        pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30,
        true,
      )
    }
  }

  /** The pod object is gone (force deletion): stop at once. */
  vanished(): void {
    this.done = true
    void this.terminate(0, false)
  }

  /** Kills everything now, for the agent's shutdown. */
  killNow(): void {
    this.stopping.abort()
    for (const container of this.running.values()) container.process.signalGroup('SIGKILL')
    for (const timer of this.timers) clearTimeout(timer)
  }

  private runContext(record: ContainerRecord, volumes: Map<string, PodVolume>): ContainerRunContext {
    return {
      worker: this,
      record,
      volumes,
      agent: this.context,
      signal: this.stopping.signal,
      changed: () => {
        if (!record.init && record.state.running && this.facts.phase === 'Pending')
          this.facts.phase = 'Running'
        void this.syncStatus()
      },
    }
  }

  private async setUpVolumes(): Promise<Map<string, PodVolume> | undefined> {
    let reported = ''
    while (!this.stopping.signal.aborted) {
      try {
        const { volumes, tokens } = await materialiseVolumes({
          pod: this.pod,
          podDir: this.podDir,
          objects: this.context.objects,
          allocatable: this.context.allocatable,
        })
        for (const token of tokens) this.renewToken(token)
        return volumes
      } catch (error) {
        if (!(error instanceof ContainerConfigError)) throw error
        if (error.message !== reported) {
          reported = error.message
          this.context.events.emit(
            this.pod,
            'Warning',
            error.retryable ? 'FailedMount' : 'Failed',
            error.message,
          )
          for (const record of this.records)
            record.state = {
              waiting: { reason: error.reason, ...(error.retryable ? {} : { message: error.message }) },
            }
          await this.syncStatus()
        }
        // A volume type the agent cannot emulate never works: wait for the pod's deletion.
        await abortableSleep(error.retryable ? CONFIG_RETRY_MS : 2 ** 31 - 1, this.stopping.signal)
      }
    }
    return undefined
  }

  /** Rewrites a projected token at 80 % of its lifetime, as the kubelet does, atomically (rename). */
  private renewToken(token: TokenFile): void {
    const lifetime = token.expiresAt.getTime() - Date.now()
    const timer = setTimeout(
      async () => {
        try {
          const fresh = await this.context.objects.token(this.pod, token.audience, token.expirationSeconds)
          await writeFile(`${token.path}.new`, fresh.token, { mode: 0o644 })
          await rename(`${token.path}.new`, token.path)
          this.renewToken({ ...token, expiresAt: fresh.expiresAt })
        } catch (error) {
          if (!this.done)
            this.context.log(`renewing a token of ${this.pod.metadata?.name}: ${(error as Error).message}`)
        }
      },
      Math.max(1000, lifetime * 0.8),
    )
    this.timers.push(timer)
  }

  private async deadlineExceeded(): Promise<void> {
    if (this.done || this.terminated) return
    this.facts.phase = 'Failed'
    this.facts.reason = 'DeadlineExceeded'
    this.facts.message = 'Pod was active on the node longer than the specified deadline'
    this.context.events.emit(this.pod, 'Normal', 'DeadlineExceeded', this.facts.message)
    await this.terminate(this.pod.spec?.terminationGracePeriodSeconds ?? 30, false)
  }

  /**
   * Stops the pod's containers: SIGTERM to each process group, SIGKILL after `graceSeconds` (a later,
   * shorter grace period wins, as with `kubectl delete --grace-period`); then reports the terminal phase
   * and, for a deletion, deletes the pod object with grace 0 and a uid precondition.
   */
  terminate(graceSeconds: number, deleteObject: boolean): Promise<void> {
    const killAt = Date.now() + graceSeconds * 1000
    if (!this.killDeadline || killAt < this.killDeadline.at) {
      clearTimeout(this.killDeadline?.timer)
      const timer = setTimeout(() => {
        for (const container of this.running.values()) container.process.signalGroup('SIGKILL')
      }, graceSeconds * 1000)
      this.killDeadline = { at: killAt, timer }
    }
    this.terminated ??= (async () => {
      this.stopping.abort()
      for (const timer of this.timers) clearTimeout(timer)
      for (const container of this.running.values()) {
        const { name } = container.record.spec
        this.context.events.emit(this.pod, 'Normal', 'Killing', `Stopping container ${name}`, {
          name,
          init: container.record.init,
        })
        container.process.signalGroup('SIGTERM')
      }
      // run() returns once every container it started has exited (a container that was still starting
      // is signalled by its runner when it sees the abort).
      await this.runDone
      clearTimeout(this.killDeadline?.timer)
      if (this.facts.phase !== 'Succeeded' && this.facts.phase !== 'Failed') {
        const main = this.records.filter((record) => !record.init)
        const succeeded = main.every((record) => record.state.terminated?.exitCode === 0)
        this.facts.phase = succeeded ? 'Succeeded' : 'Failed'
      }
      await this.finish(this.facts.phase)
    })()
    if (deleteObject) this.deleted ??= this.terminated.then(() => this.deleteObject())
    return this.deleted ?? this.terminated
  }

  private async finish(phase: 'Succeeded' | 'Failed'): Promise<void> {
    this.facts.phase = phase
    for (const record of this.records) record.ready = false
    await this.syncStatus()
    for (const timer of this.timers) clearTimeout(timer)
  }

  private async deleteObject(): Promise<void> {
    const { namespace, name } = this.pod.metadata ?? {}
    this.done = true
    try {
      await this.context.api.delete(`/api/v1/namespaces/${namespace}/pods/${name}`, {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        gracePeriodSeconds: 0,
        preconditions: { uid: this.uid },
      })
    } catch (error) {
      if (!isGone(error)) this.context.log(`deleting pod ${namespace}/${name}: ${(error as Error).message}`)
    }
  }

  /** Sends the current status (coalescing calls made while a send is queued). */
  syncStatus(): Promise<void> {
    if (this.statusQueued) return this.statusQueued
    const queued = this.statusChain.then(async () => {
      this.statusQueued = undefined
      if (this.done) return
      const { namespace, name } = this.pod.metadata ?? {}
      try {
        await this.context.api.mergePatch(`/api/v1/namespaces/${namespace}/pods/${name}/status`, {
          // The uid makes the patch a precondition: never write a same-named successor's status.
          metadata: { uid: this.uid },
          status: podStatus(this.pod, this.facts, this.records),
        })
      } catch (error) {
        if (!isGone(error)) this.context.log(`status of ${namespace}/${name}: ${(error as Error).message}`)
      }
    })
    this.statusQueued = queued
    this.statusChain = queued
    return queued
  }
}
