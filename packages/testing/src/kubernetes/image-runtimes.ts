import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * What an image reference runs as on the test plane's node: host executables standing in for the image's
 * filesystem, plus the image's ENTRYPOINT, CMD, ENV and WORKDIR.
 */
export interface ImageRuntime {
  /** A host directory of executables, mounted read-only at {@link IMAGE_BIN_DIR} and first in `PATH`. */
  binDir: string
  /** The image's ENTRYPOINT: what runs when a container has no `command`. @default [] */
  entrypoint?: string[]
  /** The image's CMD: the arguments when a container has neither `command` nor `args`. @default [] */
  cmd?: string[]
  /** The image's ENV (below the pod's env in precedence). */
  env?: Record<string, string>
  /** The image's WORKDIR. @default a fresh empty directory per pod, mounted at `/workspace` */
  workingDir?: string
}

/** Where a container sees its image's executables. */
export const IMAGE_BIN_DIR = '/opt/strata-image/bin'

/** The PATH of a Debian-based image, after the image's own executables. */
export const IMAGE_PATH = `${IMAGE_BIN_DIR}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`

// The official Node images' entrypoint, verbatim in behaviour: `args: ['-e', ...]` or `args: ['app.js']`
// run under node, `args: ['sh', '-c', ...]` runs sh.
const NODE_ENTRYPOINT = `#!/bin/sh
set -e
if [ "\${1#-}" != "\${1}" ] || [ -z "$(command -v "\${1}")" ] || { [ -f "\${1}" ] && ! [ -x "\${1}" ]; }; then
  set -- node "$@"
fi
exec "$@"
`

/**
 * Writes a Node image into `directory`: `node` (a link to this process's Node binary, `process.execPath`)
 * and the official images' `docker-entrypoint.sh`.
 */
export async function writeNodeImage(directory: string): Promise<ImageRuntime> {
  const binDir = join(directory, 'bin')
  await mkdir(binDir, { recursive: true })
  await symlink(process.execPath, join(binDir, 'node'))
  await writeFile(join(binDir, 'docker-entrypoint.sh'), NODE_ENTRYPOINT)
  await chmod(join(binDir, 'docker-entrypoint.sh'), 0o755)
  return {
    binDir,
    entrypoint: ['docker-entrypoint.sh'],
    cmd: ['node'],
    env: { NODE_VERSION: process.versions.node },
  }
}

/** The Node image references that run this process's Node: `node:24`, `node:24-slim`, `node:lts-slim`, ... */
export function nodeImageReferences(): string[] {
  const version = process.versions.node
  const major = version.split('.')[0]
  const tags = [major, version, 'lts', 'current']
  return tags.flatMap((tag) => [
    `node:${tag}`,
    `node:${tag}-slim`,
    `node:${tag}-bookworm-slim`,
    `node:${tag}-bookworm`,
  ])
}

/** `docker.io/library/node:24` and `node:24` name the same image; a reference without a tag means `:latest`. */
export function normaliseImage(reference: string): string {
  let name = reference.trim()
  for (const prefix of ['docker.io/library/', 'index.docker.io/library/', 'docker.io/', 'index.docker.io/']) {
    if (name.startsWith(prefix)) {
      name = name.slice(prefix.length)
      break
    }
  }
  const lastSegment = name.slice(name.lastIndexOf('/') + 1)
  return lastSegment.includes(':') || lastSegment.includes('@') ? name : `${name}:latest`
}

/** The runtime for `reference`, or undefined when the node has none (the kubelet then reports ErrImagePull). */
export function findImage(images: Record<string, ImageRuntime>, reference: string): ImageRuntime | undefined {
  const wanted = normaliseImage(reference)
  for (const [key, runtime] of Object.entries(images)) if (normaliseImage(key) === wanted) return runtime
  return undefined
}
