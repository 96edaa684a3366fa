import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { V1Node } from '@kubernetes/client-node'
import type { ControlPlane } from './control-plane.js'
import { type KubeApi, KubeApiError } from './kube-api.js'
import { kubeconfigDocument } from './kubeconfig.js'

/** The plane's admin-side helpers: namespaces and service-account kubeconfigs. */
export function planeHelpers(admin: KubeApi, control: ControlPlane, stateDir: string) {
  const exists = async (path: string) => {
    try {
      await admin.get(path)
      return true
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 404) return false
      throw error
    }
  }

  /**
   * Waits until pods can be admitted into `namespace`: the ServiceAccount admission plugin refuses a pod
   * whose service account does not exist yet, and its projected volume needs `kube-root-ca.crt`.
   * @throws Error naming what is still missing at `deadline`
   */
  const waitForNamespace = async (namespace: string, deadline: number): Promise<void> => {
    const needed = [
      `/api/v1/namespaces/${namespace}/serviceaccounts/default`,
      `/api/v1/namespaces/${namespace}/configmaps/kube-root-ca.crt`,
    ]
    for (;;) {
      const missing: string[] = []
      for (const path of needed) if (!(await exists(path))) missing.push(path)
      if (missing.length === 0) return
      if (Date.now() > deadline) {
        throw new Error(
          `namespace ${namespace} is not usable: ${missing.join(' and ')} still missing (kube-controller-manager's serviceaccount and root-ca-certificate-publisher controllers create them)`,
        )
      }
      await sleep(100)
    }
  }

  /**
   * Waits until the node lifecycle controller has seen the node Ready and lifted the not-ready taint the
   * API server puts on every new Node; before that no pod can be scheduled.
   */
  const waitForSchedulableNode = async (nodeName: string, deadline: number): Promise<void> => {
    for (;;) {
      const node = await admin.get<V1Node>(`/api/v1/nodes/${nodeName}`).catch(() => undefined)
      const ready = node?.status?.conditions?.some(
        (condition) => condition.type === 'Ready' && condition.status === 'True',
      )
      const notReadyTaint = node?.spec?.taints?.some((taint) => taint.key.startsWith('node.kubernetes.io/'))
      if (ready && !notReadyTaint) return
      if (Date.now() > deadline) {
        throw new Error(
          `node ${nodeName} is not schedulable: ${JSON.stringify({ taints: node?.spec?.taints, conditions: node?.status?.conditions })}`,
        )
      }
      await sleep(100)
    }
  }

  return {
    waitForNamespace,
    waitForSchedulableNode,

    async createNamespace(
      name: string,
      labels: Record<string, string> | undefined,
      deadline: number,
    ): Promise<string> {
      await admin.post('/api/v1/namespaces', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name, ...(labels ? { labels } : {}) },
      })
      await waitForNamespace(name, deadline)
      return name
    },

    async kubeconfigFor(
      serviceAccount: string,
      namespace: string,
      expirationSeconds: number,
      context?: string,
    ): Promise<string> {
      const answer = await admin.post<{ status: { token: string } }>(
        `/api/v1/namespaces/${namespace}/serviceaccounts/${serviceAccount}/token`,
        { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds } },
      )
      const directory = join(stateDir, 'kubeconfigs')
      await mkdir(directory, { recursive: true })
      const path = join(directory, `${namespace}.${serviceAccount}.${Date.now()}.kubeconfig`)
      await writeFile(
        path,
        kubeconfigDocument({
          server: control.server,
          ca: control.ca,
          token: answer.status.token,
          context: context ?? `${serviceAccount}@${namespace}`,
          namespace,
          user: `system:serviceaccount:${namespace}:${serviceAccount}`,
        }),
        { mode: 0o600 },
      )
      return path
    },
  }
}
