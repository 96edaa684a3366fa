import { type Dirent, existsSync, readdirSync, readlinkSync, realpathSync, statSync } from 'node:fs'
import { dirname, join, posix } from 'node:path'
import { STARTED_MARK } from './container-process.js'

/** A host path bind-mounted at a path inside the container. */
export interface SandboxMount {
  source: string
  target: string
  readOnly: boolean
}

/** How one container process is placed in its own mount namespace. */
export interface SandboxPlan {
  /** An empty host directory: a tmpfs is mounted on it, inside the namespace only, as the container's `/`. */
  rootDir: string
  hostname: string
  mounts: SandboxMount[]
  /** Absolute path inside the container; must exist there (see {@link existsInContainer}). */
  workingDir: string
  /** `securityContext.readOnlyRootFilesystem`: everything but the volumes is read-only. */
  readOnlyRoot?: boolean
  /** `securityContext.runAsUser`/`runAsGroup`; root when unset. */
  user?: { uid: number; gid: number } | undefined
}

/** Single-quotes `text` for /bin/sh. */
function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`
}

function isPrivate(path: string): boolean {
  return path === '/tmp' || path.startsWith('/tmp/')
}

/**
 * Resolves symlinks in a container path the way the container will see it: the container's root mirrors
 * the host's, so the deepest part that exists on the host is resolved there (`/var/run` → `/run`). Paths
 * under `/tmp` are not resolved: the container has its own empty `/tmp`.
 */
export function resolveContainerPath(path: string): string {
  const normalised = posix.normalize(path)
  if (isPrivate(normalised)) return normalised
  const parts = normalised.split('/').filter(Boolean)
  for (let count = parts.length; count > 0; count--) {
    const prefix = `/${parts.slice(0, count).join('/')}`
    if (!existsSync(prefix)) continue
    const resolved = posix.join(realpathSync(prefix), ...parts.slice(count))
    return resolved === normalised ? resolved : resolveContainerPath(resolved)
  }
  return normalised
}

/**
 * The host directories that must be rebuilt inside the container's root (a directory of bind mounts of
 * their entries) so that a mount point can be created under them without touching the host: for
 * `/run/secrets/x` when `/run/secrets` does not exist, `/run`.
 */
function directoriesToShadow(targets: string[]): Set<string> {
  const shadow = new Set<string>()
  for (const target of targets) {
    if (isPrivate(target) || existsSync(target)) continue
    let ancestor = dirname(target)
    while (ancestor !== '/' && !existsSync(ancestor)) ancestor = dirname(ancestor)
    for (; ancestor !== '/'; ancestor = dirname(ancestor)) shadow.add(ancestor)
  }
  return shadow
}

/** Fills the container's root with the host's entries; returns the bind mounts it made (for read-only). */
function populate(hostDir: string, shadow: Set<string>, lines: string[], binds: string[] = []): string[] {
  let entries: Dirent[]
  try {
    entries = readdirSync(hostDir, { withFileTypes: true })
  } catch {
    return binds
  }
  for (const entry of entries) {
    const host = join(hostDir, entry.name)
    const inside = `"$R"${shellQuote(host)}`
    if (host === '/tmp') {
      lines.push(`mkdir ${inside}`, `mount -t tmpfs -o mode=1777 tmp ${inside}`)
    } else if (entry.isSymbolicLink()) {
      lines.push(`ln -s ${shellQuote(readlinkSync(host))} ${inside}`)
    } else if (entry.isDirectory() && shadow.has(host)) {
      lines.push(`mkdir ${inside}`)
      populate(host, shadow, lines, binds)
    } else if (entry.isDirectory()) {
      lines.push(`mkdir ${inside}`, `mount --rbind ${shellQuote(host)} ${inside}`)
      binds.push(host)
    } else {
      lines.push(`touch ${inside}`, `mount --bind ${shellQuote(host)} ${inside}`)
      binds.push(host)
    }
  }
  return binds
}

/**
 * A /bin/sh script, run as `unshare --mount --uts --propagation private -- /bin/sh <script> <argv...>`,
 * that builds the container's root — a tmpfs holding bind mounts of the host's top-level entries, a
 * private `/tmp`, and the pod's volumes at their mount paths — then `chroot`s into it, changes to the
 * working directory and `exec`s the container's command, so the container's pid is the spawned pid.
 * Everything lives in the new mount namespace: the host sees no mount and no new directory.
 */
export function sandboxScript(plan: SandboxPlan): string {
  const mounts = plan.mounts
    .map((mount) => ({ ...mount, target: resolveContainerPath(mount.target) }))
    .sort((a, b) => a.target.split('/').length - b.target.split('/').length)
  // Setup errors go to fd 3, the agent's report channel, not to the container's log.
  const lines = [
    'set -e',
    'exec 4>&2 2>&3',
    `R=${shellQuote(plan.rootDir)}`,
    'mount -t tmpfs -o mode=755 strata-rootfs "$R"',
  ]
  const binds = populate('/', directoriesToShadow(mounts.map((mount) => mount.target)), lines)
  for (const mount of mounts) {
    const inside = `"$R"${shellQuote(mount.target)}`
    if (statSync(mount.source).isDirectory()) lines.push(`mkdir -p ${inside}`)
    else lines.push(`mkdir -p "$(dirname ${inside})"`, `[ -e ${inside} ] || touch ${inside}`)
    lines.push(`mount --rbind ${shellQuote(mount.source)} ${inside}`)
  }
  // Read-only only after every bind: a read-only volume may hold the mount point of a deeper one.
  for (const mount of mounts.filter((each) => each.readOnly)) {
    lines.push(`mount -o remount,bind,ro "$R"${shellQuote(mount.target)}`)
  }
  const workingDir = resolveContainerPath(plan.workingDir)
  if (isPrivate(workingDir)) lines.push(`mkdir -p "$R"${shellQuote(workingDir)}`)
  if (plan.readOnlyRoot) {
    // `remount,bind,ro` changes only this namespace's bind, never the host's mount; the two tmpfs
    // (the root and /tmp) are the container's own. Volumes keep their own flags.
    // /proc, /sys and /dev are the container's own mounts on a real node: not part of its root filesystem.
    for (const bind of binds.filter((each) => !['/proc', '/sys', '/dev'].includes(each))) {
      lines.push(`mount -o remount,bind,ro "$R"${shellQuote(bind)}`)
    }
    lines.push(`mount -o remount,ro "$R"/tmp`, 'mount -o remount,ro "$R"')
  }
  lines.push(`hostname ${shellQuote(plan.hostname)}`)
  const user = plan.user ? `--userspec=${plan.user.uid}:${plan.user.gid} ` : ''
  // Inside the new root: check what a runtime checks before exec (working directory, executable), report
  // on fd 3 (the agent tells a StartError from the command's own failure by it), close fd 3, exec.
  const inner = [
    `cd "$1" 2>/dev/null || { printf 'chdir to cwd (%s) set in config.json failed: no such file or directory' "$1" >&3; exit 128; }`,
    'shift',
    `case "$1" in */*) [ -f "$1" ] && [ -x "$1" ] ;; *) command -v "$1" >/dev/null 2>&1 ;; esac || { printf 'exec: "%s": executable file not found in $PATH' "$1" >&3; exit 128; }`,
    `printf ${STARTED_MARK} >&3`,
    'exec "$@" 3>&-',
  ].join('\n')
  lines.push('exec 2>&4 4>&-')
  lines.push(`exec chroot ${user}"$R" /bin/sh -c ${shellQuote(inner)} sh ${shellQuote(workingDir)} "$@"`)
  return `${lines.join('\n')}\n`
}
