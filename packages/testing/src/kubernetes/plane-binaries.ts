import { spawnSync } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'

/** The Kubernetes version the plane runs (kube-apiserver and kube-controller-manager). */
export const KUBERNETES_VERSION = '1.36.3'
/** The etcd version beside it. */
export const ETCD_VERSION = '3.6.16'
/** How to get the binaries, for skip and error messages. */
export const BUILD_HINT = 'build them with: bash .ci/setup/kubernetes.sh'

/** Where `.ci/setup/kubernetes.sh` puts the binaries: one folder per version, shared by every clone. */
export function defaultBinDir(): string {
  const cache = process.env.XDG_CACHE_HOME || join(homedir(), '.cache')
  return join(cache, 'strata', 'kube-test-plane', `${KUBERNETES_VERSION}-etcd${ETCD_VERSION}`)
}

/** The three executables of a plane. */
export interface PlaneBinaries {
  etcd: string
  apiserver: string
  controllerManager: string
}

/**
 * Checks what the plane needs on this machine: Linux, the three binaries, and mount namespaces (the node
 * agent runs each container in one). Returns the binaries, or what is missing and how to fix it.
 */
export function findPlaneBinaries(binDir: string): { binaries: PlaneBinaries } | { missing: string } {
  if (process.platform !== 'linux') {
    return {
      missing: `the Kubernetes test plane needs Linux (it runs pods in mount namespaces), not ${process.platform}`,
    }
  }
  const binaries = {
    etcd: join(binDir, 'etcd'),
    apiserver: join(binDir, 'kube-apiserver'),
    controllerManager: join(binDir, 'kube-controller-manager'),
  }
  const absent = Object.values(binaries).filter((file) => {
    try {
      accessSync(file, constants.X_OK)
      return false
    } catch {
      return true
    }
  })
  if (absent.length) {
    return {
      missing: `kube-apiserver/kube-controller-manager ${KUBERNETES_VERSION} and etcd ${ETCD_VERSION} are not in ${binDir} (missing: ${absent.map((file) => file.slice(binDir.length + 1)).join(', ')}) — ${BUILD_HINT}`,
    }
  }
  const probe = spawnSync('unshare', ['--mount', '--uts', '--propagation', 'private', 'true'], {
    encoding: 'utf8',
  })
  if (probe.status !== 0) {
    const why = probe.error?.message ?? probe.stderr.trim()
    return {
      missing: `the node agent cannot create mount namespaces (unshare --mount: ${why}) — run the tests as root (or with CAP_SYS_ADMIN), with util-linux's unshare installed`,
    }
  }
  return { binaries }
}
