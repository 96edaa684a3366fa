import { rmSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { availableParallelism, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { KubeConfig, type V1Taint } from '@kubernetes/client-node'
import { CONTROLLERS, type ControlPlane, startControlPlane } from './control-plane.js'
import { type ImageRuntime, nodeImageReferences, writeNodeImage } from './image-runtimes.js'
import { KubeApi } from './kube-api.js'
import { kubeconfigDocument } from './kubeconfig.js'
import { type NodeAgentHandle, type NodeAgentProcess, startNodeAgent } from './node-agent-handle.js'
import { defaultBinDir, findPlaneBinaries, KUBERNETES_VERSION, type PlaneBinaries } from './plane-binaries.js'
import { planeHelpers } from './plane-helpers.js'
import { readLogTail } from './plane-process.js'

/** How to start a {@link KubernetesTestPlane}. */
export interface KubernetesTestPlaneOptions {
  /** Folder with `etcd`, `kube-apiserver`, `kube-controller-manager`. @default `$STRATA_KUBE_TEST_PLANE_BIN`, else where `.ci/setup/kubernetes.sh` builds them */
  binDir?: string
  /** Parent folder of the plane's fresh state folder (removed by `stop()`). @default os.tmpdir() */
  tmpDir?: string
  /** @default 'strata-test-node' */
  nodeName?: string
  /** Extra node labels, set by the node at registration (NodeRestriction refuses most `kubernetes.io` ones). */
  nodeLabels?: Record<string, string>
  /** Taints the node registers with. */
  nodeTaints?: V1Taint[]
  /** The node's allocatable resources. @default this machine's cores and memory, 110 pods */
  allocatable?: { cpu?: string; memory?: string; pods?: string }
  /**
   * Images the node can run, merged over the defaults (the Node images `node:<this major>`, `-slim`,
   * `node:lts`, ... run this process's Node); `null` removes a default. Any other image fails to pull.
   */
  images?: Record<string, ImageRuntime | null>
  /** Crash-loop back-off of restarted containers. @default { initialMs: 10000, maxMs: 300000 } (the kubelet's) */
  restartBackoff?: { initialMs: number; maxMs: number }
  /** How long a missing image shows ErrImagePull before ImagePullBackOff. @default 5000 */
  imagePullBackoffMs?: number
  /** More kube-controller-manager controllers (e.g. `deployment-controller`, `replicaset-controller`). */
  extraControllers?: string[]
  /** Backstop for the whole start-up; readiness itself is polled. @default 180000 */
  startTimeoutMs?: number
}

/** A running Kubernetes control plane and node on 127.0.0.1, for one test file. */
export interface KubernetesTestPlane {
  /** `https://127.0.0.1:<port>` */
  readonly server: string
  /** An admin (system:masters) kubeconfig, context `strata-test-plane`, namespace `default`. */
  readonly kubeconfigPath: string
  /** PEM of the API server's CA (also in every kubeconfig and in each namespace's `kube-root-ca.crt`). */
  readonly caCertificate: string
  readonly kubernetesVersion: string
  /** The plane's state folder (etcd data, logs under `logs/`, pods under `pods/`, pod logs under `pod-logs/`). */
  readonly stateDir: string
  /** The node agent: running containers, their logs, fault injection. */
  readonly agent: NodeAgentHandle
  readonly pids: { etcd: number; apiserver: number; controllerManager: number; agent: number }
  /** An admin `KubeConfig` of @kubernetes/client-node, its context's namespace `namespace`. */
  kubeConfig(namespace?: string): KubeConfig
  /** Writes an admin kubeconfig with a chosen context name and namespace; returns `path`. */
  writeKubeconfig(path: string, options?: { context?: string; namespace?: string }): Promise<string>
  /** Creates a namespace and waits until pods can run in it (its `default` ServiceAccount and `kube-root-ca.crt` exist). */
  createNamespace(name: string, options?: { labels?: Record<string, string> }): Promise<string>
  /**
   * Writes a kubeconfig that authenticates as `serviceAccount` of `namespace` with a token from the
   * TokenRequest API, so a test runs as an identity that has only the Roles bound to it. Returns its path.
   * @default options.expirationSeconds 3600
   */
  kubeconfigFor(
    serviceAccount: string,
    namespace: string,
    options?: { expirationSeconds?: number; context?: string },
  ): Promise<string>
  /** A component's recent log, for failure messages. */
  output(component: 'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'node-agent'): string
  /** Kills every process and removes the state folder. Idempotent; also runs when the test process exits. */
  stop(): Promise<void>
}

/** Either a running plane or why this machine cannot run one. */
export type KubernetesTestPlaneResult =
  | { plane: KubernetesTestPlane; skip?: undefined }
  | { plane?: undefined; skip: string }

function planeBinDir(options: Pick<KubernetesTestPlaneOptions, 'binDir'>): string {
  return options.binDir ?? (process.env.STRATA_KUBE_TEST_PLANE_BIN || defaultBinDir())
}

function prerequisites(
  options: Pick<KubernetesTestPlaneOptions, 'binDir'>,
): { binaries: PlaneBinaries } | { skip: string } {
  const found = findPlaneBinaries(planeBinDir(options))
  if (!('missing' in found)) return found
  const message = `the Kubernetes test plane cannot run here: ${found.missing}`
  if (process.env.CI === 'true') throw new Error(`CI=true and ${message}`)
  console.warn(`skipping tests that need ${message}`)
  return { skip: message }
}

/**
 * Why this machine cannot run a plane (no binaries, no mount namespaces, not Linux), naming the fix; or
 * undefined when it can. Starts nothing: a test file calls it at collection time for `describe.skipIf`
 * and starts the plane in `beforeAll`.
 * @throws Error with `CI=true`, where CI builds the binaries, instead of returning a reason
 */
export function kubernetesTestPlaneUnavailable(
  options: Pick<KubernetesTestPlaneOptions, 'binDir'> = {},
): string | undefined {
  const checked = prerequisites(options)
  return 'skip' in checked ? checked.skip : undefined
}

/**
 * Starts a real Kubernetes control plane — etcd, kube-apiserver and kube-controller-manager — plus a node
 * agent that stands in for kube-scheduler and the kubelet, running each container as a local process.
 * On a user's machine without the binaries or mount namespaces it returns `{ skip }` naming the fix;
 * with `CI=true` that is an error, because CI builds the binaries.
 *
 * ```ts
 * const skip = kubernetesTestPlaneUnavailable()
 * describe.skipIf(skip)('on kubernetes', () => {
 *   let plane: KubernetesTestPlane
 *   beforeAll(async () => ({ plane } = (await startKubernetesTestPlane()) as { plane: KubernetesTestPlane }), 200_000)
 *   afterAll(() => plane?.stop())
 * })
 * ```
 * @throws Error when the plane cannot start although this machine has what it needs, or with `CI=true`
 */
export async function startKubernetesTestPlane(
  options: KubernetesTestPlaneOptions = {},
): Promise<KubernetesTestPlaneResult> {
  const found = prerequisites(options)
  if ('skip' in found) return { skip: found.skip }
  const deadline = Date.now() + (options.startTimeoutMs ?? 180_000)
  const stateDir = await mkdtemp(join(options.tmpDir ?? tmpdir(), 'strata-kube-plane-'))
  await mkdir(join(stateDir, 'logs'))
  const nodeName = options.nodeName ?? 'strata-test-node'
  let control: ControlPlane | undefined
  let agent: NodeAgentProcess | undefined
  const onExit = () => {
    // Synchronous last resort (the test process is exiting without stop()).
    for (const process_ of Object.values(control?.processes ?? {})) {
      try {
        process.kill(process_.pid, 'SIGKILL')
      } catch {}
    }
    if (agent) {
      try {
        process.kill(agent.pid, 'SIGTERM')
      } catch {}
    }
    rmSync(stateDir, { recursive: true, force: true })
  }
  process.once('exit', onExit)
  try {
    control = await startControlPlane(
      found.binaries,
      stateDir,
      nodeName,
      [...CONTROLLERS, ...(options.extraControllers ?? [])],
      deadline,
    )
    const nodeImage = await writeNodeImage(join(stateDir, 'images', 'node'))
    const images: Record<string, ImageRuntime> = Object.fromEntries(
      nodeImageReferences().map((reference) => [reference, nodeImage]),
    )
    for (const [reference, runtime] of Object.entries(options.images ?? {})) {
      if (runtime) images[reference] = runtime
      else delete images[reference]
    }
    const port = String(control.apiserverPort)
    agent = await startNodeAgent(
      {
        config: {
          server: control.server,
          ca: control.ca,
          nodeToken: control.tokens.node,
          schedulerToken: control.tokens.scheduler,
          nodeName,
          labels: options.nodeLabels ?? {},
          taints: options.nodeTaints ?? [],
          allocatable: {
            cpu: options.allocatable?.cpu ?? String(availableParallelism()),
            memory: options.allocatable?.memory ?? `${Math.floor(totalmem() / 1024)}Ki`,
            pods: options.allocatable?.pods ?? '110',
          },
          kubernetesVersion: KUBERNETES_VERSION,
          stateDir,
          images,
          // No cluster network: the in-cluster address of the API is the loopback one.
          serviceEnv: {
            KUBERNETES_SERVICE_HOST: '127.0.0.1',
            KUBERNETES_SERVICE_PORT: port,
            KUBERNETES_SERVICE_PORT_HTTPS: port,
            KUBERNETES_PORT: `tcp://127.0.0.1:${port}`,
          },
          restartBackoff: options.restartBackoff ?? { initialMs: 10_000, maxMs: 300_000 },
          imagePullBackoffMs: options.imagePullBackoffMs ?? 5000,
        },
        watchdog: { pids: Object.values(control.processes).map((each) => each.pid), stateDir },
      },
      Math.max(1000, deadline - Date.now()),
    )
    const admin = new KubeApi({
      server: control.server,
      ca: control.ca,
      token: control.tokens.admin,
      userAgent: 'strata-test-plane',
    })
    const helpers = planeHelpers(admin, control, stateDir)
    // The serviceaccount and root-ca-publisher controllers have run once `default` is usable.
    await helpers.waitForNamespace('default', deadline)
    await helpers.waitForSchedulableNode(nodeName, deadline)
    const running = { control, agent }
    let stopping: Promise<void> | undefined
    const plane: KubernetesTestPlane = {
      server: control.server,
      kubeconfigPath: control.adminKubeconfig,
      caCertificate: control.ca,
      kubernetesVersion: KUBERNETES_VERSION,
      stateDir,
      agent,
      pids: {
        etcd: control.processes.etcd.pid,
        apiserver: control.processes.apiserver.pid,
        controllerManager: control.processes.controllerManager.pid,
        agent: agent.pid,
      },
      kubeConfig(namespace) {
        const config = new KubeConfig()
        config.loadFromString(
          kubeconfigDocument({
            server: running.control.server,
            ca: running.control.ca,
            token: running.control.tokens.admin,
            ...(namespace ? { namespace } : {}),
          }),
        )
        return config
      },
      async writeKubeconfig(path, { context, namespace } = {}) {
        await writeFile(
          path,
          kubeconfigDocument({
            server: running.control.server,
            ca: running.control.ca,
            token: running.control.tokens.admin,
            context,
            namespace,
          }),
          { mode: 0o600 },
        )
        return path
      },
      createNamespace: (name, { labels } = {}) => helpers.createNamespace(name, labels, Date.now() + 60_000),
      kubeconfigFor: (serviceAccount, namespace, { expirationSeconds = 3600, context } = {}) =>
        helpers.kubeconfigFor(serviceAccount, namespace, expirationSeconds, context),
      output(component) {
        if (component === 'node-agent') return running.agent.output()
        const process_ = {
          etcd: 'etcd',
          'kube-apiserver': 'apiserver',
          'kube-controller-manager': 'controllerManager',
        } as const
        return readLogTail(running.control.processes[process_[component]].logFile)
      },
      stop() {
        stopping ??= (async () => {
          process.off('exit', onExit)
          admin.close()
          await running.agent.stop()
          await Promise.all(Object.values(running.control.processes).map((each) => each.kill()))
          await rm(stateDir, { recursive: true, force: true })
        })()
        return stopping
      },
    }
    return { plane }
  } catch (error) {
    process.off('exit', onExit)
    await agent?.stop()
    await Promise.all(Object.values(control?.processes ?? {}).map((each) => each.kill()))
    await rm(stateDir, { recursive: true, force: true })
    const message = `the Kubernetes test plane did not start: ${(error as Error).message}`
    throw new Error(process.env.CI === 'true' ? `CI=true and ${message}` : message, { cause: error })
  }
}
