import { StrataError } from '@strata/core'
import type { KubeClient } from './kube-client.js'

/** One permission: a verb on a resource of an API group (`''` = core). */
interface Permission {
  group: string
  resource: string
  verb: string
}

const permission = (group: string, resource: string, verbs: string[]): Permission[] =>
  verbs.map((verb) => ({ group, resource, verb }))

/**
 * What submitting and following a run needs in its namespace (the `strata-client` Role of
 * docs/kubernetes.md): the run's Secret and runtime ConfigMaps, the orchestrator Job, a look at pods.
 */
const CLIENT_PERMISSIONS: readonly Permission[] = [
  ...permission('', 'secrets', ['create', 'patch', 'delete']),
  ...permission('', 'configmaps', ['create', 'patch', 'delete']),
  ...permission('batch', 'jobs', ['create', 'get', 'list', 'patch', 'delete', 'deletecollection']),
  ...permission('', 'pods', ['list']),
  ...permission('batch', 'cronjobs', ['create', 'list', 'delete']),
]

function describe(missing: readonly Permission[]): string {
  return missing
    .map((item) => `${item.verb} ${item.group ? `${item.resource}.${item.group}` : item.resource}`)
    .join(', ')
}

/**
 * `strata stack validate` for the orchestrator: the API server answers, the namespace exists, and this
 * identity may do what a run needs there (SelfSubjectAccessReview, which every identity may ask).
 * @throws StrataError `KUBERNETES_NAMESPACE_NOT_FOUND` or `KUBERNETES_FORBIDDEN` naming each missing permission
 */
export async function verifyAccess(client: KubeClient): Promise<void> {
  const { namespace } = client
  const reviews = await Promise.all(
    CLIENT_PERMISSIONS.map(async (item) => {
      const review = await client.call('ask the API server what this identity may do', () =>
        client.authorization.createSelfSubjectAccessReview({
          body: {
            apiVersion: 'authorization.k8s.io/v1',
            kind: 'SelfSubjectAccessReview',
            spec: {
              resourceAttributes: { namespace, group: item.group, resource: item.resource, verb: item.verb },
            },
          },
        }),
      )
      return { item, allowed: review.status?.allowed === true }
    }),
  )
  // Reading a namespace needs a cluster-wide permission many identities lack: only a 404 is conclusive.
  const namespaceRead = await client
    .callOrMissing(`read namespace '${namespace}'`, () => client.core.readNamespace({ name: namespace }))
    .then((found) => (found ? 'found' : 'missing'))
    .catch(() => 'unknown')
  if (namespaceRead === 'missing') {
    throw new StrataError(
      'KUBERNETES_NAMESPACE_NOT_FOUND',
      `namespace '${namespace}' does not exist on ${client.server} — create it (kubectl create namespace ${namespace}) or set kubernetesNamespace`,
    )
  }
  const missing = reviews.filter((review) => !review.allowed).map((review) => review.item)
  if (missing.length > 0) {
    throw new StrataError(
      'KUBERNETES_FORBIDDEN',
      `the identity of context '${client.context}' may not ${describe(missing)} in namespace '${namespace}' — bind it to the strata-client Role of node_modules/@strata/kubernetes/manifests/rbac.yaml`,
    )
  }
}
