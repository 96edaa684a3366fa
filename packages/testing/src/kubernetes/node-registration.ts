import { randomUUID } from 'node:crypto'
import { arch, release } from 'node:os'
import type { V1Node, V1Taint } from '@kubernetes/client-node'
import { apiTime } from './event-recorder.js'
import { type KubeApi, KubeApiError } from './kube-api.js'

/** The node the agent registers, as the kubelet's flags would describe it. */
export interface NodeSpecification {
  name: string
  /** Extra labels (kubelet `--node-labels`); NodeRestriction refuses most `kubernetes.io` ones. */
  labels: Record<string, string>
  /** kubelet `--register-with-taints`. */
  taints: V1Taint[]
  /** Allocatable resources, e.g. `{ cpu: '2', memory: '8Gi', pods: '110' }`. */
  allocatable: { cpu: string; memory: string; pods: string }
  /** Reported as the kubelet version. */
  kubernetesVersion: string
}

const LEASE_SECONDS = 40
const RENEW_MS = 10_000
const STATUS_MS = 60_000

/** `metav1.MicroTime`: RFC 3339 with microseconds. */
function microTime(): string {
  return new Date().toISOString().replace(/Z$/, '000Z')
}

const GO_ARCH: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm',
  s390x: 's390x',
  ppc64: 'ppc64le',
}

function nodeStatus(node: NodeSpecification, bootId: string) {
  const now = apiTime()
  const condition = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: now,
    lastTransitionTime: now,
  })
  return {
    capacity: node.allocatable,
    allocatable: node.allocatable,
    conditions: [
      condition(
        'MemoryPressure',
        'False',
        'KubeletHasSufficientMemory',
        'kubelet has sufficient memory available',
      ),
      condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
      condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
      condition('Ready', 'True', 'KubeletReady', 'Strata test plane node agent is posting ready status'),
    ],
    addresses: [
      { type: 'InternalIP', address: '127.0.0.1' },
      { type: 'Hostname', address: node.name },
    ],
    // No kubelet API is served (no `kubectl logs`/`exec`); port 0 says so instead of pointing at 10250.
    daemonEndpoints: { kubeletEndpoint: { Port: 0 } },
    nodeInfo: {
      machineID: bootId.replaceAll('-', ''),
      systemUUID: bootId,
      bootID: bootId,
      kernelVersion: release(),
      osImage: 'Strata test plane (host processes)',
      containerRuntimeVersion: 'strata-node-agent://1',
      kubeletVersion: `v${node.kubernetesVersion}`,
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: GO_ARCH[arch()] ?? arch(),
    },
  }
}

/**
 * Registers the Node (as the kubelet does, with its own `system:node:<name>` identity), reports it Ready,
 * and keeps its Lease in kube-node-lease and its status heartbeat fresh until `stop()`.
 * @throws KubeApiError when the API server refuses the Node (e.g. a label NodeRestriction forbids)
 */
export async function registerNode(api: KubeApi, node: NodeSpecification, log: (line: string) => void) {
  const goArch = GO_ARCH[arch()] ?? arch()
  const body = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: node.name,
      labels: {
        'kubernetes.io/hostname': node.name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': goArch,
        'beta.kubernetes.io/os': 'linux',
        'beta.kubernetes.io/arch': goArch,
        ...node.labels,
      },
    },
    spec: node.taints.length ? { taints: node.taints } : {},
  }
  let created: V1Node
  try {
    created = await api.post<V1Node>('/api/v1/nodes', body)
  } catch (error) {
    if (!(error instanceof KubeApiError && error.status === 409)) throw error
    created = await api.get<V1Node>(`/api/v1/nodes/${node.name}`)
  }
  const bootId = randomUUID()
  const patchStatus = () =>
    api.mergePatch(`/api/v1/nodes/${node.name}/status`, { status: nodeStatus(node, bootId) })
  await patchStatus()
  const leasePath = '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases'
  await api
    .post(leasePath, {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: node.name,
        ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: node.name, uid: created.metadata?.uid }],
      },
      spec: { holderIdentity: node.name, leaseDurationSeconds: LEASE_SECONDS, renewTime: microTime() },
    })
    .catch((error: unknown) => {
      if (!(error instanceof KubeApiError && error.status === 409)) throw error
    })
  const renew = setInterval(() => {
    api
      .mergePatch(`${leasePath}/${node.name}`, { spec: { renewTime: microTime() } })
      .catch((error: Error) => log(`renewing the node lease: ${error.message}`))
  }, RENEW_MS)
  const heartbeat = setInterval(() => {
    patchStatus().catch((error: Error) => log(`node status heartbeat: ${error.message}`))
  }, STATUS_MS)
  return {
    stop(): void {
      clearInterval(renew)
      clearInterval(heartbeat)
    },
  }
}
