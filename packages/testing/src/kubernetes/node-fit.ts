import type {
  V1NodeSelectorRequirement,
  V1Pod,
  V1PodSpec,
  V1Taint,
  V1Toleration,
} from '@kubernetes/client-node'
import { parseQuantity } from './quantity.js'

/** What the scheduler needs to know of the node. */
export interface NodeView {
  name: string
  labels: Record<string, string>
  taints: V1Taint[]
  unschedulable: boolean
  /** Allocatable cpu (cores), memory (bytes) and pod count. */
  allocatable: { cpu: number; memory: number; pods: number }
}

/** The cpu (cores) and memory (bytes) a pod asks for, as the scheduler counts it. */
export function podRequests(spec: V1PodSpec | undefined): { cpu: number; memory: number } {
  const of = (containers: V1PodSpec['containers'] | undefined) =>
    (containers ?? []).map((container) => {
      // Requests default to limits when only limits are set (API defaulting does the same).
      const resources = { ...container.resources?.limits, ...container.resources?.requests }
      return {
        cpu: resources.cpu === undefined ? 0 : parseQuantity(resources.cpu),
        memory: resources.memory === undefined ? 0 : parseQuantity(resources.memory),
      }
    })
  const main = of(spec?.containers)
  const init = of(spec?.initContainers)
  const overhead = spec?.overhead ?? {}
  const total = (key: 'cpu' | 'memory') =>
    Math.max(
      main.reduce((sum, request) => sum + request[key], 0),
      ...init.map((request) => request[key]),
    ) + (overhead[key] === undefined ? 0 : parseQuantity(overhead[key]))
  return { cpu: total('cpu'), memory: total('memory') }
}

/** Whether `toleration` tolerates `taint`, by the API's rules (empty key + Exists tolerates every taint). */
export function tolerates(toleration: V1Toleration, taint: V1Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false
  if (toleration.key && toleration.key !== taint.key) return false
  if (!toleration.key && toleration.operator !== 'Exists') return false
  if (toleration.operator === 'Exists') return true
  return (toleration.value ?? '') === (taint.value ?? '')
}

function matchesRequirement(requirement: V1NodeSelectorRequirement, value: string | undefined): boolean {
  const values = requirement.values ?? []
  switch (requirement.operator) {
    case 'In':
      return value !== undefined && values.includes(value)
    case 'NotIn':
      return value === undefined || !values.includes(value)
    case 'Exists':
      return value !== undefined
    case 'DoesNotExist':
      return value === undefined
    case 'Gt':
    case 'Lt': {
      const [limit] = values.map(Number)
      if (value === undefined || limit === undefined || !/^-?\d+$/.test(value)) return false
      return requirement.operator === 'Gt' ? Number(value) > limit : Number(value) < limit
    }
    default:
      return false
  }
}

/** Whether the node satisfies the pod's nodeSelector and required node affinity. */
function matchesNodeAffinity(spec: V1PodSpec, node: NodeView): boolean {
  for (const [key, value] of Object.entries(spec.nodeSelector ?? {})) {
    if (node.labels[key] !== value) return false
  }
  const terms = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms
  if (!terms) return true
  // Terms are ORed; a term without requirements matches no node.
  return terms.some((term) => {
    const expressions = term.matchExpressions ?? []
    const fields = term.matchFields ?? []
    if (expressions.length === 0 && fields.length === 0) return false
    return (
      expressions.every((requirement) => matchesRequirement(requirement, node.labels[requirement.key])) &&
      fields.every((requirement) =>
        matchesRequirement(requirement, requirement.key === 'metadata.name' ? node.name : undefined),
      )
    )
  })
}

/**
 * Why the pod cannot run on the node, worded as kube-scheduler words its FailedScheduling message, or
 * undefined when it fits. `boundPods` are the node's pods that still hold resources.
 */
export function unschedulableReason(pod: V1Pod, node: NodeView, boundPods: V1Pod[]): string | undefined {
  const spec = pod.spec ?? { containers: [] }
  const tolerations = spec.tolerations ?? []
  if (
    node.unschedulable &&
    !tolerations.some((toleration) =>
      tolerates(toleration, { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }),
    )
  ) {
    return 'node(s) were unschedulable'
  }
  if (!matchesNodeAffinity(spec, node)) return "node(s) didn't match Pod's node affinity/selector"
  const untolerated = node.taints.find(
    (taint) =>
      (taint.effect === 'NoSchedule' || taint.effect === 'NoExecute') &&
      !tolerations.some((toleration) => tolerates(toleration, taint)),
  )
  if (untolerated) {
    return `node(s) had untolerated taint {${untolerated.key}: ${untolerated.value ?? ''}}`
  }
  if (boundPods.length + 1 > node.allocatable.pods) return 'Too many pods'
  const wanted = podRequests(spec)
  const used = boundPods.map((bound) => podRequests(bound.spec))
  for (const resource of ['cpu', 'memory'] as const) {
    const inUse = used.reduce((sum, request) => sum + request[resource], 0)
    if (wanted[resource] > 0 && inUse + wanted[resource] > node.allocatable[resource]) {
      return `Insufficient ${resource}`
    }
  }
  const affinity = spec.affinity
  if (
    affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.length ||
    affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.length
  ) {
    return 'required pod affinity/anti-affinity is not evaluated by the Strata test plane (one node, no inter-pod scheduling)'
  }
  const spread = spec.topologySpreadConstraints?.find(
    (constraint) =>
      constraint.whenUnsatisfiable === 'DoNotSchedule' && !(constraint.topologyKey in node.labels),
  )
  if (spread) return "node(s) didn't match pod topology spread constraints (missing required label)"
  return undefined
}
