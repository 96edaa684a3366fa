// What the Kubernetes benchmarks (run.mjs, profile.mjs) run on: the Kubernetes test plane of
// @strata/testing/kubernetes (a real kube-apiserver, controller manager and etcd, and a node agent that runs
// pods as local processes) and S3 on moto, with one Strata store holding two stacks on the same bucket:
// `orchestrator/kubernetes` and `orchestrator/local` with `isolation: 'process'`.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { BatchV1Api, CoreV1Api, KubernetesObjectApi, loadAllYaml } from '@kubernetes/client-node'
import {
  ETCD_VERSION,
  eventually,
  KUBERNETES_VERSION,
  kubernetesTestPlaneUnavailable,
  startKubernetesTestPlane,
} from '@strata/testing/kubernetes'
import { MOTO_CREDENTIALS, startMoto } from '@strata/testing/servers'
import { benchDir, measureAsync, rootDir } from '../lib.mjs'

export const NAMESPACE = 'strata'
export const PLANE_VERSIONS = `kube-apiserver and kube-controller-manager ${KUBERNETES_VERSION}, etcd ${ETCD_VERSION}`
const driverPath = fileURLToPath(new URL('./driver.ts', import.meta.url))
const BUCKET = 'bench'

/** The Roles and service accounts of plugins/kubernetes/manifests/rbac.yaml, applied in the namespace. */
async function applyRbac(plane) {
  const api = KubernetesObjectApi.makeApiClient(plane.kubeConfig())
  const manifest = readFileSync(join(rootDir, 'plugins/kubernetes/manifests/rbac.yaml'), 'utf8')
  for (const document of loadAllYaml(manifest)) {
    document.metadata.namespace = NAMESPACE
    for (const subject of document.subjects ?? []) subject.namespace = NAMESPACE
    await api.create(document)
  }
}

/**
 * Why the plane cannot run on this machine (no binaries, no mount namespaces), naming the fix; undefined
 * when it can. Throws with `CI=true`, where CI builds the binaries.
 */
export function planeUnavailable() {
  return kubernetesTestPlaneUnavailable()
}

/**
 * Starts the plane and moto, creates the namespace (with the documented Roles) and the bucket, and
 * registers the stacks into a fresh store (`STRATA_CONFIG_DIR` in a temp folder).
 * @returns the plane, a `driver(args, env?)` that runs one measurement in a fresh process, `clean()` that
 *   empties the namespace between measurements, and `stop()`
 */
export async function startBenchPlane(progress = () => {}) {
  const skip = planeUnavailable()
  if (skip) throw new Error(skip)
  progress('starting the Kubernetes test plane and moto')
  const [started, moto] = await Promise.all([startKubernetesTestPlane(), startMoto()])
  const stopServers = async () => {
    await started.plane?.stop()
    await moto.server?.stop()
  }
  if (!started.plane || !moto.server) {
    await stopServers()
    throw new Error(started.skip ?? moto.skip)
  }
  const { plane } = started
  const server = moto.server
  const workDir = mkdtempSync(join(tmpdir(), 'strata-bench-kubernetes-'))
  try {
    await plane.createNamespace(NAMESPACE)
    await applyRbac(plane)
    const kubeconfig = await plane.writeKubeconfig(join(plane.stateDir, 'bench.kubeconfig'), {
      context: 'test-plane',
    })
    const bucket = await fetch(`${server.url}/${BUCKET}`, { method: 'PUT' })
    if (!bucket.ok) throw new Error(`moto: creating bucket ${BUCKET} failed (${bucket.status})`)
    const env = {
      ...process.env,
      STRATA_CONFIG_DIR: join(workDir, 'strata-config'),
      NO_COLOR: '1',
      AWS_EC2_METADATA_DISABLED: 'true',
    }
    const driver = (args, extraEnv = {}) =>
      measureAsync(process.execPath, [driverPath, ...args.map(String)], {
        env: { ...env, ...extraEnv },
        cwd: benchDir,
      })
    progress('registering the S3 store and the two stacks')
    await driver([
      'setup',
      JSON.stringify({
        s3: { url: server.url, path: `s3://${BUCKET}/strata`, ...MOTO_CREDENTIALS },
        kubernetes: { kubeconfig, context: 'test-plane', namespace: NAMESPACE },
      }),
    ])
    const batch = plane.kubeConfig().makeApiClient(BatchV1Api)
    const core = plane.kubeConfig().makeApiClient(CoreV1Api)
    /** Deletes the finished runs' Jobs and waits until their pods are gone: each measurement starts empty. */
    const clean = async () => {
      await batch.deleteCollectionNamespacedJob({ namespace: NAMESPACE, propagationPolicy: 'Background' })
      await eventually(
        `namespace ${NAMESPACE} empty after a measurement`,
        async () =>
          (await batch.listNamespacedJob({ namespace: NAMESPACE })).items.length === 0 &&
          (await core.listNamespacedPod({ namespace: NAMESPACE })).items.length === 0,
        { timeoutMs: 120_000 },
      )
    }
    const stop = async () => {
      await stopServers()
      rmSync(workDir, { recursive: true, force: true })
    }
    return { plane, moto: server, batch, core, driver, clean, stop, configDir: env.STRATA_CONFIG_DIR }
  } catch (error) {
    await stopServers()
    rmSync(workDir, { recursive: true, force: true })
    throw error
  }
}
