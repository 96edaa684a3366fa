import type { V1Container, V1Pod } from '@kubernetes/client-node'
import { apiTime } from './event-recorder.js'
import { normaliseImage } from './image-runtimes.js'

/** A container's state as the API spells it (`state.waiting`/`running`/`terminated`). */
interface ContainerState {
  waiting?: { reason: string; message?: string }
  running?: { startedAt: string }
  terminated?: {
    exitCode: number
    reason: string
    message?: string
    startedAt?: string
    finishedAt: string
    containerID?: string
  }
}

/** What the agent knows of one container of a pod. */
export interface ContainerRecord {
  spec: V1Container
  init: boolean
  restartCount: number
  state: ContainerState
  lastState: ContainerState
  started: boolean
  ready: boolean
  containerID?: string
}

/** The pod-level facts beside the containers. */
export interface PodFacts {
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed'
  reason?: string
  message?: string
  startTime: string
  /** Volumes are set up and the "sandbox" exists (PodReadyToStartContainers). */
  sandboxReady: boolean
}

const OWN_CONDITIONS = new Set(['PodReadyToStartContainers', 'Initialized', 'ContainersReady', 'Ready'])

function containerStatus(record: ContainerRecord) {
  return {
    name: record.spec.name,
    image: record.spec.image ?? '',
    imageID: record.containerID ? `strata-node-agent://${normaliseImage(record.spec.image ?? '')}` : '',
    ...(record.containerID ? { containerID: record.containerID } : {}),
    ready: record.ready,
    started: record.started,
    restartCount: record.restartCount,
    state: record.state,
    lastState: record.lastState,
  }
}

/**
 * The `status` the kubelet would report: phase, IPs, container statuses and the kubelet's conditions.
 * Conditions other writers own (PodScheduled, DisruptionTarget, ...) are kept from `current`, and a
 * condition's lastTransitionTime only moves when its status changes.
 */
export function podStatus(current: V1Pod, facts: PodFacts, records: ContainerRecord[]) {
  const init = records.filter((record) => record.init)
  const main = records.filter((record) => !record.init)
  const terminal = facts.phase === 'Succeeded' || facts.phase === 'Failed'
  const names = (list: ContainerRecord[]) => `[${list.map((record) => record.spec.name).join(' ')}]`
  const uninitialised = init.filter((record) => record.state.terminated?.exitCode !== 0)
  const unready = main.filter((record) => !record.ready)
  const previous = new Map((current.status?.conditions ?? []).map((condition) => [condition.type, condition]))
  const condition = (type: string, ok: boolean, reason?: string, message?: string) => {
    const status = ok ? 'True' : 'False'
    const before = previous.get(type)
    return {
      type,
      status,
      ...(reason ? { reason } : {}),
      ...(message ? { message } : {}),
      lastProbeTime: null,
      lastTransitionTime: before?.status === status ? before.lastTransitionTime : apiTime(),
    }
  }
  const readyReason = terminal ? 'PodCompleted' : 'ContainersNotReady'
  const readyMessage = terminal ? undefined : `containers with unready status: ${names(unready)}`
  const conditions = [
    condition('PodReadyToStartContainers', facts.sandboxReady && !terminal),
    uninitialised.length === 0 || terminal
      ? condition('Initialized', true)
      : condition(
          'Initialized',
          false,
          'ContainersNotInitialized',
          `containers with incomplete status: ${names(uninitialised)}`,
        ),
    unready.length === 0 && !terminal
      ? condition('Ready', true)
      : condition('Ready', false, readyReason, readyMessage),
    unready.length === 0 && !terminal
      ? condition('ContainersReady', true)
      : condition('ContainersReady', false, readyReason, readyMessage),
    ...(current.status?.conditions ?? []).filter((each) => !OWN_CONDITIONS.has(each.type)),
  ]
  return {
    phase: facts.phase,
    ...(facts.reason ? { reason: facts.reason, message: facts.message } : {}),
    hostIP: '127.0.0.1',
    hostIPs: [{ ip: '127.0.0.1' }],
    podIP: '127.0.0.1',
    podIPs: [{ ip: '127.0.0.1' }],
    startTime: facts.startTime,
    conditions,
    ...(init.length ? { initContainerStatuses: init.map(containerStatus) } : {}),
    containerStatuses: main.map(containerStatus),
  }
}
