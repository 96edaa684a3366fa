import { existsSync, mkdirSync } from 'node:fs'
import { join, posix } from 'node:path'
import { expandReferences } from './container-env.js'
import type { ContainerRunContext } from './container-runner.js'
import { resolveContainerPath, type SandboxMount, type SandboxPlan } from './container-sandbox.js'
import { IMAGE_BIN_DIR, IMAGE_PATH, type ImageRuntime } from './image-runtimes.js'
import { ContainerConfigError } from './pod-objects.js'

/** Where a container starts when neither it nor its image names a working directory. */
export const DEFAULT_WORKING_DIR = '/workspace'

/** A container ready to start: its argv, exact environment and sandbox (all but the root directory). */
export interface PreparedContainer {
  argv: string[]
  env: Record<string, string>
  plan: Omit<SandboxPlan, 'rootDir'>
}

function notEmulated(what: string): ContainerConfigError {
  return new ContainerConfigError(`${what} is not emulated by the Strata test plane's node agent`, {
    retryable: false,
  })
}

function runAs(context: ContainerRunContext): { uid: number; gid: number } | undefined {
  const pod = context.worker.pod
  const own = context.record.spec.securityContext
  const shared = pod.spec?.securityContext
  const uid = own?.runAsUser ?? shared?.runAsUser
  const nonRoot = own?.runAsNonRoot ?? shared?.runAsNonRoot
  const where = `(pod: "${pod.metadata?.name}_${pod.metadata?.namespace}(${pod.metadata?.uid})", container: ${context.record.spec.name})`
  if (nonRoot && uid === undefined)
    throw new ContainerConfigError(`container has runAsNonRoot and image will run as root ${where}`, {
      retryable: false,
    })
  if (nonRoot && uid === 0)
    throw new ContainerConfigError(`container's runAsUser breaks non-root policy ${where}`, {
      retryable: false,
    })
  if (uid === undefined) return undefined
  return { uid, gid: own?.runAsGroup ?? shared?.runAsGroup ?? 0 }
}

/**
 * Resolves what the kubelet and the runtime resolve before a container starts: argv (ENTRYPOINT/CMD
 * overridden by command/args, `$(VAR)` expanded), the environment (image ENV, then the pod's), the
 * user, the volume mounts (subPath included) and the working directory, created when missing.
 * @throws ContainerConfigError for what the agent does not emulate (subPathExpr, sidecar init containers)
 */
export function prepareContainer(
  context: ContainerRunContext,
  image: ImageRuntime,
  podEnv: Record<string, string>,
): PreparedContainer {
  const { record, worker, volumes } = context
  const spec = record.spec
  if (record.init && spec.restartPolicy === 'Always') {
    throw notEmulated(`init container ${spec.name}: a sidecar (restartPolicy: Always)`)
  }
  const user = runAs(context)
  const hostname = (worker.pod.spec?.hostname ?? worker.pod.metadata?.name ?? 'pod').slice(0, 63)
  const env: Record<string, string> = {
    PATH: IMAGE_PATH,
    HOSTNAME: hostname,
    HOME: user && user.uid !== 0 ? '/' : '/root',
    ...image.env,
    ...podEnv,
  }
  const expand = (list: string[]) => list.map((item) => expandReferences(item, podEnv))
  const argv = spec.command?.length
    ? [...expand(spec.command), ...expand(spec.args ?? [])]
    : [...(image.entrypoint ?? []), ...(spec.args?.length ? expand(spec.args) : (image.cmd ?? []))]
  if (argv.length === 0) {
    throw new ContainerConfigError(`container ${spec.name}: no command specified`, { retryable: false })
  }
  const mounts: SandboxMount[] = [{ source: image.binDir, target: IMAGE_BIN_DIR, readOnly: true }]
  for (const mount of spec.volumeMounts ?? []) {
    if (mount.subPathExpr) throw notEmulated(`volumeMount ${mount.name}: subPathExpr`)
    const volume = volumes.get(mount.name)
    if (!volume)
      throw new ContainerConfigError(`volume "${mount.name}" not found in the pod`, { retryable: false })
    const source = mount.subPath ? join(volume.hostPath, mount.subPath) : volume.hostPath
    if (mount.subPath && !existsSync(source)) {
      if (volume.forceReadOnly)
        throw new ContainerConfigError(
          `failed to prepare subPath for volumeMount "${mount.name}": ${mount.subPath} does not exist`,
        )
      mkdirSync(source, { recursive: true })
    }
    mounts.push({
      source,
      target: mount.mountPath,
      readOnly: mount.readOnly === true || volume.forceReadOnly,
    })
  }
  const readOnlyRoot = spec.securityContext?.readOnlyRootFilesystem === true
  const workingDir = spec.workingDir || image.workingDir || DEFAULT_WORKING_DIR
  // A created working directory stands for one in the image's filesystem: read-only with the root.
  if (workingDir === DEFAULT_WORKING_DIR) {
    // Never the repository or any host directory: nothing resolves the project's node_modules by accident.
    const fresh = join(worker.podDir, 'workspace')
    mkdirSync(fresh, { recursive: true })
    mounts.push({ source: fresh, target: DEFAULT_WORKING_DIR, readOnly: readOnlyRoot })
    return { argv, env, plan: { hostname, mounts, workingDir, user, readOnlyRoot } }
  }
  const resolved = resolveContainerPath(workingDir)
  const inMount = mounts.find(
    (mount) =>
      resolved === resolveContainerPath(mount.target) ||
      resolved.startsWith(`${resolveContainerPath(mount.target)}/`),
  )
  if (inMount) {
    // A runtime creates a missing working directory inside the volume that holds it.
    mkdirSync(posix.join(inMount.source, resolved.slice(resolveContainerPath(inMount.target).length)), {
      recursive: true,
    })
  } else if (!resolved.startsWith('/tmp/') && resolved !== '/tmp' && !existsSync(resolved)) {
    // Missing in the host-backed root: an empty per-pod directory, so the host is never written to.
    const fresh = join(worker.podDir, 'workdirs', resolved.replaceAll('/', '_'))
    mkdirSync(fresh, { recursive: true })
    mounts.push({ source: fresh, target: resolved, readOnly: readOnlyRoot })
  }
  return { argv, env, plan: { hostname, mounts, workingDir, user, readOnlyRoot } }
}
