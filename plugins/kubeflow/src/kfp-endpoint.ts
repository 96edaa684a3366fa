import { readFileSync } from 'node:fs'
import type { RequestOptions } from 'node:https'
import { KubeConfig } from '@kubernetes/client-node'
import { errorMessage, StrataError } from '@strata/core'
import { formLoginSession } from './kfp-auth.js'
import type { KfpEndpoint } from './kfp-client.js'
import type {
  KubeflowOrchestratorConfig,
  KubeflowOrchestratorSettings,
} from './kubeflow-orchestrator-flavor.js'

const LOGIN_TIMEOUT_MS = 30_000

/**
 * The kubeconfig of the component (its file and context, else `$KUBECONFIG` or `~/.kube/config` and the
 * current context).
 * @throws StrataError `KUBERNETES_CONFIG` when it cannot be loaded or the context does not exist
 */
export function loadKubeConfig(
  config: Pick<KubeflowOrchestratorConfig, 'kubeconfig' | 'kubernetesContext'>,
): KubeConfig {
  const kubeConfig = new KubeConfig()
  try {
    if (config.kubeconfig) kubeConfig.loadFromFile(config.kubeconfig)
    else kubeConfig.loadFromDefault()
  } catch (error) {
    throw new StrataError(
      'KUBERNETES_CONFIG',
      `cannot load the Kubernetes configuration${config.kubeconfig ? ` from ${config.kubeconfig}` : ''}: ${errorMessage(error)} — check the kubeconfig path (kubeconfig, $KUBECONFIG)`,
      { cause: error },
    )
  }
  if (config.kubernetesContext) {
    const known = kubeConfig.getContexts().map((context) => context.name)
    if (!known.includes(config.kubernetesContext))
      throw new StrataError(
        'KUBERNETES_CONFIG',
        `kubeconfig context '${config.kubernetesContext}' does not exist — use one of: ${known.join(', ') || '(none)'}`,
      )
    kubeConfig.setCurrentContext(config.kubernetesContext)
  }
  if (!kubeConfig.getCurrentCluster()?.server)
    throw new StrataError(
      'KUBERNETES_CONFIG',
      `the kubeconfig has no cluster for context '${kubeConfig.getCurrentContext()}' — set kubernetesContext to the cluster Kubeflow runs on`,
    )
  return kubeConfig
}

/**
 * Where the KFP API is for this component: `clientArgs.host` or `kubeflowHostname` with the component's
 * credentials (a bearer token, or a form-login session), else the `ml-pipeline` service through the
 * Kubernetes API server's proxy with the kubeconfig's own credentials (as the kfp SDK does without a host).
 */
export async function kfpEndpoint(
  config: KubeflowOrchestratorConfig,
  settings: Pick<KubeflowOrchestratorSettings, 'clientArgs'> | undefined,
  kubeConfig: () => KubeConfig,
): Promise<KfpEndpoint> {
  const host = settings?.clientArgs?.host ?? config.kubeflowHostname
  if (host) {
    const caFile = settings?.clientArgs?.sslCaCert
    let connection: RequestOptions | undefined
    if (caFile) {
      try {
        connection = { ca: readFileSync(caFile) }
      } catch (error) {
        throw new StrataError(
          'KUBEFLOW_CONFIG',
          `clientArgs.sslCaCert: cannot read ${caFile} (${errorMessage(error)}) — give the path of a PEM file`,
        )
      }
    }
    let session: Promise<string> | undefined
    const { clientUsername: username, clientPassword: password, token } = config
    return {
      baseUrl: host.replace(/\/$/, ''),
      uiUrl: (settings?.clientArgs?.uiHost ?? host).replace(/\/$/, ''),
      ...(connection ? { connection } : {}),
      async auth(): Promise<Record<string, string>> {
        if (token) return { authorization: `Bearer ${token}` }
        if (username && password) {
          session ??= formLoginSession(host, { username, password }, connection, LOGIN_TIMEOUT_MS)
          session.catch(() => {
            session = undefined
          })
          return { cookie: await session }
        }
        return {}
      },
      ...(username && password
        ? {
            expire() {
              session = undefined
            },
          }
        : {}),
    }
  }
  const cluster = kubeConfig()
  const server = cluster.getCurrentCluster()?.server?.replace(/\/$/, '') ?? ''
  const connection: RequestOptions = {}
  await cluster.applyToHTTPSOptions(connection)
  const proxy = (service: string) =>
    `${server}/api/v1/namespaces/${config.kubeflowNamespace}/services/${service}/proxy`
  return {
    baseUrl: proxy('ml-pipeline:http'),
    uiUrl: proxy('ml-pipeline-ui:http'),
    connection,
    auth: async () => ({}),
  }
}
