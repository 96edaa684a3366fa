import { setTimeout as sleep } from 'node:timers/promises'
import type { V1ConfigMap, V1Pod, V1Secret } from '@kubernetes/client-node'
import { type KubeApi, KubeApiError } from './kube-api.js'

/** Why a container cannot be created yet; the kubelet reports it as the container's waiting `reason`. */
export class ContainerConfigError extends Error {
  readonly reason: string
  /** False when waiting cannot help (an unsupported field): the pod stays stuck with this message. */
  readonly retryable: boolean

  constructor(message: string, options: { reason?: string; retryable?: boolean } = {}) {
    super(message)
    this.name = 'ContainerConfigError'
    this.reason = options.reason ?? 'CreateContainerConfigError'
    this.retryable = options.retryable ?? true
  }
}

/** The Node authorizer learns that a pod was bound to this node a moment after the binding. */
const AUTHORIZER_SETTLE_MS = 15_000

/**
 * Reads the Secrets, ConfigMaps and service-account tokens a pod references, as the node (the Node
 * authorizer lets a node read exactly those). Contents come back as bytes by key.
 */
export class PodObjects {
  private readonly api: KubeApi

  constructor(api: KubeApi) {
    this.api = api
  }

  /** The Secret's data, or undefined when it does not exist. */
  async secret(namespace: string, name: string): Promise<Map<string, Buffer> | undefined> {
    const secret = await this.read<V1Secret>(
      `/api/v1/namespaces/${namespace}/secrets/${encodeURIComponent(name)}`,
    )
    if (!secret) return undefined
    return new Map(
      Object.entries(secret.data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')]),
    )
  }

  /** The ConfigMap's `data` and `binaryData`, or undefined when it does not exist. */
  async configMap(namespace: string, name: string): Promise<Map<string, Buffer> | undefined> {
    const configMap = await this.read<V1ConfigMap>(
      `/api/v1/namespaces/${namespace}/configmaps/${encodeURIComponent(name)}`,
    )
    if (!configMap) return undefined
    return new Map([
      ...Object.entries(configMap.data ?? {}).map(
        ([key, value]) => [key, Buffer.from(value, 'utf8')] as const,
      ),
      ...Object.entries(configMap.binaryData ?? {}).map(
        ([key, value]) => [key, Buffer.from(value, 'base64')] as const,
      ),
    ])
  }

  /** A token for the pod's service account, bound to the pod (TokenRequest API), as the kubelet asks. */
  async token(
    pod: V1Pod,
    audience: string | undefined,
    expirationSeconds: number,
  ): Promise<{ token: string; expiresAt: Date }> {
    const namespace = pod.metadata?.namespace
    const serviceAccount = pod.spec?.serviceAccountName ?? 'default'
    const answer = await this.retryForbidden(() =>
      this.api.post<{ status: { token: string; expirationTimestamp: string } }>(
        `/api/v1/namespaces/${namespace}/serviceaccounts/${serviceAccount}/token`,
        {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          spec: {
            ...(audience ? { audiences: [audience] } : {}),
            expirationSeconds,
            boundObjectRef: {
              apiVersion: 'v1',
              kind: 'Pod',
              name: pod.metadata?.name,
              uid: pod.metadata?.uid,
            },
          },
        },
      ),
    )
    return { token: answer.status.token, expiresAt: new Date(answer.status.expirationTimestamp) }
  }

  private async read<T>(path: string): Promise<T | undefined> {
    try {
      return await this.retryForbidden(() => this.api.get<T>(path))
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 404) return undefined
      throw error
    }
  }

  private async retryForbidden<T>(call: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + AUTHORIZER_SETTLE_MS
    for (;;) {
      try {
        return await call()
      } catch (error) {
        if (!(error instanceof KubeApiError && error.status === 403) || Date.now() > deadline) throw error
        await sleep(200)
      }
    }
  }
}
