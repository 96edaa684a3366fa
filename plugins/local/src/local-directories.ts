import { mkdirSync, statfsSync, statSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import { StrataError } from '@strata/core/base'

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code
}

/**
 * `mkdir -p`, one level at a time. Not `mkdir(path, { recursive: true })`: where the filesystem answers
 * ENOENT to a mkdir whose parent exists (/proc, /sys), libuv's recursive mkdir retries for ever and the
 * call never returns (the synchronous one blocks the whole process). Here the second ENOENT is an error.
 */
export async function makeDirectory(path: string): Promise<void> {
  try {
    await mkdir(path)
    return
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return
    const parent = dirname(path)
    if (errorCode(error) !== 'ENOENT' || parent === path) throw error
    await makeDirectory(parent)
  }
  try {
    await mkdir(path)
  } catch (error) {
    if (errorCode(error) !== 'EEXIST') throw error
  }
}

/** {@link makeDirectory}, synchronous (small writes). */
export function makeDirectorySync(path: string): void {
  try {
    mkdirSync(path)
    return
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return
    const parent = dirname(path)
    if (errorCode(error) !== 'ENOENT' || parent === path) throw error
    makeDirectorySync(parent)
  }
  try {
    mkdirSync(path)
  } catch (error) {
    if (errorCode(error) !== 'EEXIST') throw error
  }
}

/** Filesystems that hold no files of their own (statfs magic numbers, Linux). */
const VIRTUAL_FILESYSTEMS = new Map<number, string>([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x63677270, 'cgroup2'],
  [0x27e0eb, 'cgroup'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0x1cd1, 'devpts'],
  [0xcafe4a11, 'bpf'],
])

/** The nearest existing ancestor of `path` (itself included), and whether it is a directory. */
function nearestExisting(path: string): { path: string; directory: boolean } | undefined {
  for (let current = path; ; current = dirname(current)) {
    try {
      return { path: current, directory: statSync(current).isDirectory() }
    } catch {
      if (dirname(current) === current) return undefined
    }
  }
}

/**
 * Why the folder `root` cannot hold artifacts, as an error that names it and the fix: under a regular
 * file, on a filesystem that holds no files (/proc), read-only, not allowed, or the raw failure.
 */
export function storeUnusable(root: string, error: unknown): StrataError {
  const code = errorCode(error)
  const existing = nearestExisting(root)
  let why: string
  if (existing && !existing.directory) {
    why =
      existing.path === root ? `${root} is a file, not a folder` : `${existing.path} is a file, not a folder`
  } else {
    const virtual = existing ? virtualFilesystem(existing.path) : undefined
    if (virtual) why = `${existing?.path} is on a ${virtual} filesystem, which holds no files`
    else if (code === 'EACCES' || code === 'EPERM') why = 'this user may not write there'
    else if (code === 'EROFS') why = 'the filesystem is read-only'
    else if (code === 'ENOSPC') why = 'the filesystem is full'
    else why = error instanceof Error ? error.message : String(error)
  }
  return new StrataError(
    'ARTIFACT_STORE_UNUSABLE',
    `local artifact store at ${root} cannot hold artifacts: ${why} — choose a folder on a writable disk ('strata artifact-store update NAME --path DIR', or register another store)`,
    { cause: error, details: { path: root, ...(code ? { errno: code } : {}) } },
  )
}

function virtualFilesystem(path: string): string | undefined {
  try {
    return VIRTUAL_FILESYSTEMS.get(statfsSync(path).type)
  } catch {
    return undefined
  }
}
