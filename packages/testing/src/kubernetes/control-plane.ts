import { generateKeyPair, randomBytes, X509Certificate } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { freePort } from '../test-server.js'
import { kubeconfigDocument } from './kubeconfig.js'
import type { PlaneBinaries } from './plane-binaries.js'
import { httpsGet, type PlaneProcess, spawnPlaneProcess, waitUntilAnswering } from './plane-process.js'

/** The bearer tokens of the plane's static identities (kube-apiserver `--token-auth-file`). */
interface PlaneTokens {
  /** `strata-admin`, group system:masters. */
  admin: string
  /** `system:node:<node>`, group system:nodes: what the Node authorizer and NodeRestriction check. */
  node: string
  /** `system:kube-scheduler`, bound by RBAC's bootstrap roles to what a scheduler does. */
  scheduler: string
}

/** A running etcd + kube-apiserver + kube-controller-manager. */
export interface ControlPlane {
  server: string
  apiserverPort: number
  ca: string
  tokens: PlaneTokens
  adminKubeconfig: string
  processes: { etcd: PlaneProcess; apiserver: PlaneProcess; controllerManager: PlaneProcess }
}

/** The service-account issuer: the in-cluster name of the API server, as on a real cluster. */
const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local'

/**
 * The controllers a Job-based orchestrator needs, those that make namespaces usable (`default` service
 * accounts, the `kube-root-ca.crt` ConfigMap that projected service-account volumes mount), and the node
 * lifecycle controller: the API server taints every new Node `node.kubernetes.io/not-ready`, and that
 * controller lifts the taint once the node reports Ready (and marks the node NotReady if the agent stops
 * renewing its lease, as on a real cluster).
 */
export const CONTROLLERS = [
  'job-controller',
  'cronjob-controller',
  'garbage-collector-controller',
  'namespace-controller',
  'ttl-after-finished-controller',
  'pod-garbage-collector-controller',
  'serviceaccount-controller',
  'root-ca-certificate-publisher-controller',
  'node-lifecycle-controller',
]

/** The self-signed CA kube-apiserver generates beside its serving certificate (the file's last block). */
function caOf(bundle: string): string {
  const blocks = bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []
  const ca = blocks.find((block) => new X509Certificate(block).ca)
  if (!ca) throw new Error('kube-apiserver wrote a serving certificate without its CA')
  return `${ca}\n`
}

/**
 * Starts etcd, then kube-apiserver (RBAC + Node authorization, static tokens, ServiceAccount admission
 * and TokenRequest, NodeRestriction), then kube-controller-manager, each waited for by its own health
 * endpoint. On failure the processes already started are killed before the error is thrown.
 */
export async function startControlPlane(
  binaries: PlaneBinaries,
  stateDir: string,
  nodeName: string,
  controllers: string[],
  deadline: number,
): Promise<ControlPlane> {
  const started: PlaneProcess[] = []
  try {
    const [etcdPort, peerPort, apiserverPort, controllerManagerPort] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ])
    const tokens: PlaneTokens = {
      admin: randomBytes(24).toString('hex'),
      node: randomBytes(24).toString('hex'),
      scheduler: randomBytes(24).toString('hex'),
    }
    await writeFile(
      join(stateDir, 'tokens.csv'),
      [
        `${tokens.admin},strata-admin,strata-admin,"system:masters"`,
        `${tokens.node},system:node:${nodeName},system:node:${nodeName},"system:nodes"`,
        `${tokens.scheduler},system:kube-scheduler,system:kube-scheduler`,
        '',
      ].join('\n'),
      { mode: 0o600 },
    )
    const { privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 })
    await writeFile(join(stateDir, 'sa.key'), privateKey.export({ type: 'pkcs1', format: 'pem' }), {
      mode: 0o600,
    })
    const logs = join(stateDir, 'logs')

    const etcd = spawnPlaneProcess(
      'etcd',
      binaries.etcd,
      [
        '--name=strata',
        `--data-dir=${join(stateDir, 'etcd')}`,
        `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
        `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
        `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-cluster=strata=http://127.0.0.1:${peerPort}`,
        // Throwaway data: fsync only slows a loaded machine down.
        '--unsafe-no-fsync',
        '--log-level=warn',
      ],
      join(logs, 'etcd.log'),
    )
    started.push(etcd)
    await waitUntilAnswering(
      etcd,
      'a healthy /health',
      async () => {
        const response = await fetch(`http://127.0.0.1:${etcdPort}/health`, {
          signal: AbortSignal.timeout(5000),
        })
        return response.ok && ((await response.json()) as { health?: string }).health === 'true'
      },
      deadline,
    )

    const server = `https://127.0.0.1:${apiserverPort}`
    const apiserver = spawnPlaneProcess(
      'kube-apiserver',
      binaries.apiserver,
      [
        `--etcd-servers=http://127.0.0.1:${etcdPort}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${apiserverPort}`,
        `--cert-dir=${join(stateDir, 'apiserver-certs')}`,
        // No kube-proxy and no endpoints: nothing would route to the `kubernetes` Service's IP anyway.
        '--endpoint-reconciler-type=none',
        `--token-auth-file=${join(stateDir, 'tokens.csv')}`,
        '--authorization-mode=Node,RBAC',
        '--enable-admission-plugins=NodeRestriction',
        `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
        `--api-audiences=${SERVICE_ACCOUNT_ISSUER}`,
        `--service-account-key-file=${join(stateDir, 'sa.key')}`,
        `--service-account-signing-key-file=${join(stateDir, 'sa.key')}`,
        '--service-cluster-ip-range=10.0.0.0/24',
        '--allow-privileged=true',
        '--profiling=false',
      ],
      join(logs, 'kube-apiserver.log'),
    )
    started.push(apiserver)
    // The CA appears once the server has generated its certificate; /readyz is then read through it.
    let ca = ''
    await waitUntilAnswering(
      apiserver,
      'a ready /readyz',
      async () => {
        ca ||= caOf(await readFile(join(stateDir, 'apiserver-certs', 'apiserver.crt'), 'utf8'))
        return (await httpsGet(`${server}/readyz`, { ca, token: tokens.admin })) === 'ok'
      },
      deadline,
    )
    const adminKubeconfig = join(stateDir, 'admin.kubeconfig')
    await writeFile(adminKubeconfig, kubeconfigDocument({ server, ca, token: tokens.admin }), { mode: 0o600 })

    await writeFile(join(stateDir, 'ca.crt'), ca)
    const controllerManager = spawnPlaneProcess(
      'kube-controller-manager',
      binaries.controllerManager,
      [
        `--kubeconfig=${adminKubeconfig}`,
        `--authentication-kubeconfig=${adminKubeconfig}`,
        `--authorization-kubeconfig=${adminKubeconfig}`,
        '--leader-elect=false',
        '--bind-address=127.0.0.1',
        `--secure-port=${controllerManagerPort}`,
        `--cert-dir=${join(stateDir, 'controller-manager-certs')}`,
        `--root-ca-file=${join(stateDir, 'ca.crt')}`,
        `--controllers=${controllers.join(',')}`,
      ],
      join(logs, 'kube-controller-manager.log'),
    )
    started.push(controllerManager)
    await waitUntilAnswering(
      controllerManager,
      'a healthy /healthz',
      async () => {
        // Its serving certificate is its own, self-signed: nothing of the cluster's trust to check here.
        return (
          (await httpsGet(`https://127.0.0.1:${controllerManagerPort}/healthz`, { insecure: true })) === 'ok'
        )
      },
      deadline,
    )
    return {
      server,
      apiserverPort,
      ca,
      tokens,
      adminKubeconfig,
      processes: { etcd, apiserver, controllerManager },
    }
  } catch (error) {
    await Promise.all(started.map((process) => process.kill()))
    throw error
  }
}
