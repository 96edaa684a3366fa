import type { V1Pod, V1PodSpec } from '@kubernetes/client-node'
import { describe, expect, it } from 'vitest'
import { expandReferences, fieldValue } from './container-env.js'
import { resolveContainerPath } from './container-sandbox.js'
import { findImage, normaliseImage } from './image-runtimes.js'
import { type NodeView, podRequests, tolerates, unschedulableReason } from './node-fit.js'
import { parseQuantity } from './quantity.js'

const node: NodeView = {
  name: 'n1',
  labels: { 'kubernetes.io/hostname': 'n1', 'kubernetes.io/os': 'linux', disk: 'ssd', generation: '5' },
  taints: [],
  unschedulable: false,
  allocatable: { cpu: 2, memory: 4 * 2 ** 30, pods: 3 },
}

function pod(spec: Partial<V1PodSpec>): V1Pod {
  return { metadata: { name: 'p' }, spec: { containers: [{ name: 'main' }], ...spec } }
}

describe('scheduling on the one node', () => {
  it('matches nodeSelector and required node affinity, with the scheduler words for a miss', () => {
    expect(unschedulableReason(pod({ nodeSelector: { disk: 'ssd' } }), node, [])).toBeUndefined()
    expect(unschedulableReason(pod({ nodeSelector: { disk: 'hdd' } }), node, [])).toBe(
      "node(s) didn't match Pod's node affinity/selector",
    )
    const affinity = (operator: string, key: string, values?: string[]) =>
      pod({
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{ matchExpressions: [{ key, operator, ...(values ? { values } : {}) }] }],
            },
          },
        },
      })
    expect(unschedulableReason(affinity('In', 'disk', ['nvme', 'ssd']), node, [])).toBeUndefined()
    expect(unschedulableReason(affinity('NotIn', 'disk', ['ssd']), node, [])).toBeDefined()
    expect(unschedulableReason(affinity('Exists', 'gpu'), node, [])).toBeDefined()
    expect(unschedulableReason(affinity('DoesNotExist', 'gpu'), node, [])).toBeUndefined()
    expect(unschedulableReason(affinity('Gt', 'generation', ['4']), node, [])).toBeUndefined()
    expect(unschedulableReason(affinity('Lt', 'generation', ['4']), node, [])).toBeDefined()
  })

  it('keeps pods off a tainted node unless they tolerate the taint', () => {
    const tainted = { ...node, taints: [{ key: 'gpu', value: 'true', effect: 'NoSchedule' }] }
    expect(unschedulableReason(pod({}), tainted, [])).toBe('node(s) had untolerated taint {gpu: true}')
    expect(
      unschedulableReason(pod({ tolerations: [{ key: 'gpu', operator: 'Exists' }] }), tainted, []),
    ).toBeUndefined()
    expect(
      unschedulableReason(pod({ tolerations: [{ key: 'gpu', value: 'false' }] }), tainted, []),
    ).toBeDefined()
    expect(tolerates({ operator: 'Exists' }, { key: 'anything', effect: 'NoExecute' })).toBe(true)
    expect(
      tolerates(
        { key: 'gpu', operator: 'Exists', effect: 'NoExecute' },
        { key: 'gpu', effect: 'NoSchedule' },
      ),
    ).toBe(false)
    const preferNot = { ...node, taints: [{ key: 'soft', effect: 'PreferNoSchedule' }] }
    expect(unschedulableReason(pod({}), preferNot, [])).toBeUndefined()
    expect(unschedulableReason(pod({}), { ...node, unschedulable: true }, [])).toBe(
      'node(s) were unschedulable',
    )
  })

  it('counts requests (limits when only limits are set, the largest init container) against allocatable', () => {
    const big = pod({
      containers: [{ name: 'main', resources: { requests: { cpu: '1500m', memory: '1Gi' } } }],
    })
    expect(podRequests(big.spec)).toEqual({ cpu: 1.5, memory: 2 ** 30 })
    expect(
      podRequests(
        pod({
          containers: [{ name: 'main', resources: { limits: { cpu: '1' } } }],
          initContainers: [{ name: 'init', resources: { requests: { cpu: '3' } } }],
        }).spec,
      ),
    ).toEqual({ cpu: 3, memory: 0 })
    expect(unschedulableReason(big, node, [])).toBeUndefined()
    expect(unschedulableReason(big, node, [big])).toBe('Insufficient cpu')
    expect(unschedulableReason(pod({}), node, [pod({}), pod({}), pod({})])).toBe('Too many pods')
  })

  it('parses quantities', () => {
    expect(parseQuantity('250m')).toBe(0.25)
    expect(parseQuantity('64Mi')).toBe(64 * 2 ** 20)
    expect(parseQuantity('1G')).toBe(1e9)
    expect(parseQuantity('1e3')).toBe(1000)
    expect(() => parseQuantity('lots')).toThrow("'lots' is not a Kubernetes quantity")
  })
})

describe('what a container sees', () => {
  it('expands $(VAR) like the kubelet: $$ escapes, unknown references stay', () => {
    expect(expandReferences('$(A)-$$(A)-$(B)-$A-$(unclosed', { A: 'x' })).toBe('x-$(A)-$(B)-$A-$(unclosed')
  })

  it('reads downward-API fields and refuses the ones the kubelet refuses', () => {
    const subject: V1Pod = {
      metadata: { name: 'p', namespace: 'ns', labels: { b: '2', a: '1' } },
      spec: { containers: [] },
    }
    expect(fieldValue(subject, "metadata.labels['a']")).toBe('1')
    expect(fieldValue(subject, 'metadata.labels')).toBe('a="1"\nb="2"')
    expect(() => fieldValue(subject, 'spec.containers')).toThrow('unsupported fieldPath: spec.containers')
  })

  it('resolves a mount path through the host symlinks the container shares, but not under its private /tmp', () => {
    expect(resolveContainerPath('/tmp/../tmp/x')).toBe('/tmp/x')
    expect(resolveContainerPath('/does-not-exist/sub')).toBe('/does-not-exist/sub')
    expect(resolveContainerPath('/proc/self/../1')).toBe('/proc/1')
  })

  it('normalises image references as a registry does', () => {
    expect(normaliseImage('docker.io/library/node:24-slim')).toBe('node:24-slim')
    expect(normaliseImage('node')).toBe('node:latest')
    expect(normaliseImage('ghcr.io/acme/app@sha256:abc')).toBe('ghcr.io/acme/app@sha256:abc')
    const runtime = { binDir: '/bin' }
    expect(findImage({ 'node:24-slim': runtime }, 'docker.io/library/node:24-slim')).toBe(runtime)
    expect(findImage({ 'node:24-slim': runtime }, 'node:22')).toBeUndefined()
  })
})
