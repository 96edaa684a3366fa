import {
  ApiException,
  AuthorizationV1Api,
  CoreV1Api,
  type KubeConfig,
  type V1ConfigMap,
  type V1Secret,
} from '@kubernetes/client-node'
import { errorMessage, type RuntimePackage, StrataError } from '@strata/core'
import { LABELS, labelValue, type RunObjectNames } from './names.js'

/** What the run's (or schedule's) objects are labelled with. */
export interface ObjectOwner {
  pipelineName: string
  runId?: string
  scheduleId?: string
}

const CALL_TIMEOUT_MS = 30_000

function labels(owner: ObjectOwner, role: string): Record<string, string> {
  return {
    [LABELS.managedBy]: 'strata',
    [LABELS.pipeline]: labelValue(owner.pipelineName),
    [LABELS.role]: role,
    ...(owner.runId ? { [LABELS.runId]: labelValue(owner.runId) } : {}),
    ...(owner.scheduleId ? { [LABELS.schedule]: labelValue(owner.scheduleId) } : {}),
  }
}

/** The runtime as ConfigMaps: chunk 0 with the bootstrap, then one per chunk (each < 1 MiB). */
export function runtimeConfigMaps(
  names: RunObjectNames,
  owner: ObjectOwner,
  runtime: RuntimePackage,
): V1ConfigMap[] {
  return runtime.chunks.map((chunk, index) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `${names.runtime}-${index}`, labels: labels(owner, 'runtime') },
    ...(index === 0 ? { data: { 'bootstrap.mjs': runtime.bootstrap } } : {}),
    binaryData: {
      [`runtime.mjs.gz.${String(index).padStart(3, '0')}`]: Buffer.from(chunk).toString('base64'),
    },
  }))
}

/** The run's Secret: every variable its pods need, which may hold credentials and secret values. */
export function runSecret(names: RunObjectNames, owner: ObjectOwner, env: Record<string, string>): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: names.secret, labels: labels(owner, 'env') },
    type: 'Opaque',
    stringData: env,
  }
}

async function call<T>(what: string, namespace: string, request: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([
      request(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${CALL_TIMEOUT_MS / 1000} s`)),
          CALL_TIMEOUT_MS,
        )
      }),
    ])
  } catch (error) {
    if (error instanceof ApiException && error.code === 403)
      throw new StrataError(
        'KUBERNETES_FORBIDDEN',
        `${what}: this identity may not create Secrets and ConfigMaps in namespace '${namespace}' — grant it the strata-kubeflow-client Role of node_modules/@strata/kubeflow/manifests/rbac.yaml there`,
        { cause: error },
      )
    throw new StrataError(
      'KUBERNETES_API_ERROR',
      `${what} in namespace '${namespace}': ${error instanceof ApiException ? `HTTP ${error.code}` : errorMessage(error)} — check kubernetesContext (the cluster Kubeflow runs on) and that the namespace exists`,
      { cause: error },
    )
  } finally {
    clearTimeout(timer)
  }
}

/** What a run needs to do with its objects: the strata-kubeflow-client Role of manifests/rbac.yaml. */
const PERMISSIONS = [
  ['secrets', 'create'],
  ['secrets', 'delete'],
  ['configmaps', 'create'],
  ['configmaps', 'delete'],
  ['configmaps', 'list'],
] as const

/** The run's Secret and runtime ConfigMaps in the namespace its pods run in. */
export class RunObjects {
  readonly #core: CoreV1Api
  readonly #kubeConfig: KubeConfig
  readonly namespace: string

  constructor(kubeConfig: KubeConfig, namespace: string) {
    this.#kubeConfig = kubeConfig
    this.#core = kubeConfig.makeApiClient(CoreV1Api)
    this.namespace = namespace
  }

  /**
   * Asks the API server (SelfSubjectAccessReview, which every identity may) whether this identity may do
   * what a run does with its objects here.
   * @throws StrataError `KUBERNETES_FORBIDDEN` naming each missing permission
   */
  async verifyAccess(): Promise<void> {
    const { namespace } = this
    const authorization = this.#kubeConfig.makeApiClient(AuthorizationV1Api)
    const missing: string[] = []
    for (const [resource, verb] of PERMISSIONS) {
      const review = await call('ask the API server what this identity may do', namespace, () =>
        authorization.createSelfSubjectAccessReview({
          body: {
            apiVersion: 'authorization.k8s.io/v1',
            kind: 'SelfSubjectAccessReview',
            spec: { resourceAttributes: { namespace, resource, verb } },
          },
        }),
      )
      if (review.status?.allowed !== true) missing.push(`${verb} ${resource}`)
    }
    if (missing.length > 0)
      throw new StrataError(
        'KUBERNETES_FORBIDDEN',
        `the identity of context '${this.#kubeConfig.getCurrentContext()}' may not ${missing.join(', ')} in namespace '${namespace}' — bind it to the strata-kubeflow-client Role of node_modules/@strata/kubeflow/manifests/rbac.yaml there`,
      )
  }

  /**
   * Creates the Secret and the runtime ConfigMaps; a failure on the way deletes what was created.
   * @returns the ConfigMaps' names, chunk 0 first
   */
  async create(
    names: RunObjectNames,
    owner: ObjectOwner,
    env: Record<string, string>,
    runtime: RuntimePackage,
  ): Promise<string[]> {
    const { namespace } = this
    const maps = runtimeConfigMaps(names, owner, runtime)
    const created: string[] = []
    try {
      await call('create the run Secret', namespace, () =>
        this.#core.createNamespacedSecret({ namespace, body: runSecret(names, owner, env) }),
      )
      for (const map of maps) {
        await call('create a runtime ConfigMap', namespace, () =>
          this.#core.createNamespacedConfigMap({ namespace, body: map }),
        )
        created.push(map.metadata?.name ?? '')
      }
      return created
    } catch (error) {
      await this.delete(names.secret, created).catch(() => {})
      throw error
    }
  }

  /** The runtime ConfigMaps of a schedule (or an exported pipeline). */
  async scheduleConfigMaps(scheduleId: string): Promise<string[]> {
    const { namespace } = this
    const list = await call('list the runtime ConfigMaps', namespace, () =>
      this.#core.listNamespacedConfigMap({
        namespace,
        labelSelector: `${LABELS.schedule}=${labelValue(scheduleId)},${LABELS.role}=runtime`,
      }),
    )
    return list.items.map((item) => item.metadata?.name ?? '')
  }

  /** Deletes the Secret and ConfigMaps (those already gone are fine). */
  async delete(secret: string, configMaps: readonly string[]): Promise<void> {
    const { namespace } = this
    const gone = (error: unknown) => {
      if (!(error instanceof ApiException && error.code === 404)) throw error
    }
    await call(`delete Secret ${secret}`, namespace, () =>
      this.#core.deleteNamespacedSecret({ name: secret, namespace }).catch(gone),
    )
    for (const name of configMaps) {
      await call(`delete ConfigMap ${name}`, namespace, () =>
        this.#core.deleteNamespacedConfigMap({ name, namespace }).catch(gone),
      )
    }
  }
}
