import { ApiException, AuthorizationV1Api, BatchV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node'
import { errorMessage, StrataError } from '@strata/core'
import type { KubernetesOrchestratorConfig } from './kubernetes-orchestrator-flavor.js'

/** How long one API call may take before the server counts as unreachable. */
const CALL_TIMEOUT_MS = 30_000

/** The Kubernetes APIs a run uses, bound to one cluster and namespace. */
export interface KubeClient {
  readonly namespace: string
  /** The cluster's API server, for messages. */
  readonly server: string
  readonly context: string
  readonly batch: BatchV1Api
  readonly core: CoreV1Api
  readonly authorization: AuthorizationV1Api
  /**
   * Runs one API call with a deadline, turning failures into one line that says what failed and how to
   * fix it (a `KUBERNETES_*` StrataError); `notFound` is returned for a 404 instead of throwing.
   */
  call<T>(what: string, request: () => Promise<T>): Promise<T>
  callOrMissing<T>(what: string, request: () => Promise<T>): Promise<T | undefined>
  /** Like `call`, but a 409 (the object exists) resolves `undefined` instead of throwing. */
  callOrExisting<T>(what: string, request: () => Promise<T>): Promise<T | undefined>
}

/**
 * Builds a client from the component's config: the in-cluster service account, or a kubeconfig file and
 * context (`$KUBECONFIG`, else `~/.kube/config`).
 * @throws StrataError `KUBERNETES_CONFIG` when the kubeconfig or the context does not exist
 */
export function createKubeClient(
  config: Pick<KubernetesOrchestratorConfig, 'incluster' | 'kubeconfig' | 'kubernetesContext'>,
  namespace: string,
): KubeClient {
  const kubeConfig = new KubeConfig()
  try {
    if (config.incluster) kubeConfig.loadFromCluster()
    else if (config.kubeconfig) kubeConfig.loadFromFile(config.kubeconfig)
    else kubeConfig.loadFromDefault()
  } catch (error) {
    throw new StrataError(
      'KUBERNETES_CONFIG',
      `cannot load the Kubernetes configuration${config.kubeconfig ? ` from ${config.kubeconfig}` : ''}: ${errorMessage(error)} — check the kubeconfig path (kubeconfig, $KUBECONFIG), or set incluster: true inside a cluster`,
      { cause: error },
    )
  }
  if (config.kubernetesContext && !config.incluster) {
    const known = kubeConfig.getContexts().map((context) => context.name)
    if (!known.includes(config.kubernetesContext)) {
      throw new StrataError(
        'KUBERNETES_CONFIG',
        `kubeconfig context '${config.kubernetesContext}' does not exist — use one of: ${known.join(', ') || '(none)'}`,
      )
    }
    kubeConfig.setCurrentContext(config.kubernetesContext)
  }
  const server = kubeConfig.getCurrentCluster()?.server
  if (!server) {
    throw new StrataError(
      'KUBERNETES_CONFIG',
      `the kubeconfig has no cluster for context '${kubeConfig.getCurrentContext()}' — set kubernetesContext to a context with a cluster`,
    )
  }
  const context = config.incluster ? 'in-cluster' : kubeConfig.getCurrentContext()
  const call = async <T>(what: string, request: () => Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new StrataError(
              'KUBERNETES_UNREACHABLE',
              `${what}: the Kubernetes API server ${server} did not answer within ${CALL_TIMEOUT_MS / 1000} s — check that the cluster is up and reachable (context '${context}')`,
            ),
          ),
        CALL_TIMEOUT_MS,
      )
    })
    try {
      return await Promise.race([request(), deadline])
    } catch (error) {
      throw kubernetesError(error, what, { server, context, namespace })
    } finally {
      clearTimeout(timer)
    }
  }
  return {
    namespace,
    server,
    context,
    batch: kubeConfig.makeApiClient(BatchV1Api),
    core: kubeConfig.makeApiClient(CoreV1Api),
    authorization: kubeConfig.makeApiClient(AuthorizationV1Api),
    call,
    async callOrExisting(what, request) {
      try {
        return await call(what, request)
      } catch (error) {
        if (error instanceof StrataError && error.code === 'KUBERNETES_CONFLICT') return undefined
        throw error
      }
    },
    async callOrMissing(what, request) {
      try {
        return await call(what, request)
      } catch (error) {
        if (error instanceof StrataError && error.code === 'KUBERNETES_NOT_FOUND') return undefined
        throw error
      }
    },
  }
}

function apiMessage(error: ApiException<unknown>): string {
  const body = error.body
  if (typeof body === 'string') {
    try {
      return (JSON.parse(body) as { message?: string }).message ?? body
    } catch {
      return body.slice(0, 300)
    }
  }
  return (body as { message?: string } | undefined)?.message ?? `HTTP ${error.code}`
}

function kubernetesError(
  error: unknown,
  what: string,
  where: { server: string; context: string; namespace: string },
): StrataError {
  if (error instanceof StrataError) return error
  if (error instanceof ApiException) {
    const message = apiMessage(error)
    if (error.code === 401)
      return new StrataError(
        'KUBERNETES_UNAUTHORIZED',
        `${what}: the Kubernetes API server refused the credentials of context '${where.context}' (${message}) — log in again or fix the kubeconfig's user`,
        { cause: error },
      )
    if (error.code === 403)
      return new StrataError(
        'KUBERNETES_FORBIDDEN',
        `${what}: ${message} — grant the strata-client Role of node_modules/@strata/kubernetes/manifests/rbac.yaml to this identity in namespace '${where.namespace}'`,
        { cause: error },
      )
    if (error.code === 404)
      return new StrataError('KUBERNETES_NOT_FOUND', `${what}: ${message}`, { cause: error })
    if (error.code === 409)
      return new StrataError('KUBERNETES_CONFLICT', `${what}: ${message}`, { cause: error })
    return new StrataError(
      'KUBERNETES_API_ERROR',
      `${what}: the Kubernetes API answered ${error.code}: ${message}`,
      { cause: error },
    )
  }
  return new StrataError(
    'KUBERNETES_UNREACHABLE',
    `${what}: cannot reach the Kubernetes API server ${where.server} (${errorMessage(error)}) — check that the cluster is up and that context '${where.context}' points at it`,
    { cause: error },
  )
}
