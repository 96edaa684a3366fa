// What must hold after every fault of the artifact, disk and validation classes: the store passes SQLite's
// integrity check, no run is `running` without a live owner, every completed artifact version still holds
// the bytes its digest records (but those a test damaged on purpose), and no secret canary appears in
// anything the CLI printed.
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { SqliteStore } from '@strata/store'
import type { Result, Sandbox } from '../helpers.js'

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH'
  }
}

/** A version's digest from its files on disk (as `saveArtifact` computes it), or why it cannot be had. */
function digestOnDisk(directory: string): string | undefined {
  if (!existsSync(directory)) return undefined
  const files = readdirSync(directory, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && !entry.name.startsWith('.strata-tmp-'))
    .map((entry) => join(entry.parentPath, entry.name))
    .map((path) => [relative(directory, path).split(sep).join('/'), path] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  if (files.length === 0) return undefined
  const digest = createHash('sha256')
  for (const [name, path] of files)
    digest.update(`${name}\0${createHash('sha256').update(readFileSync(path)).digest('hex')}\n`)
  return digest.digest('hex')
}

export interface AfterFaultOptions {
  /** Everything the CLI printed since the last check. */
  outputs: readonly Result[]
  /** Values that must never be printed. */
  canaries: readonly string[]
  /** Versions the test damaged or deleted on purpose (their ids). */
  damaged?: ReadonlySet<string>
  /**
   * Reads a version's digest in a store that is not a local folder (S3): `undefined` when its files are
   * gone. Local stores are read from disk.
   */
  remoteDigest?: (uri: string, prefix: string) => Promise<string | undefined>
}

/** The problems found after a fault (none: the fault was survived). */
export async function afterFault(sandbox: Sandbox, options: AfterFaultOptions): Promise<string[]> {
  const problems: string[] = []
  const store = SqliteStore.open({ configDir: sandbox.configDir })
  let versions: Array<{ id: string; uri: string; prefix: string; digest: string }> = []
  try {
    const integrity = store.integrityCheck()
    if (integrity !== 'ok') problems.push(`store integrity: ${integrity}`)
    const active = store.db
      .prepare(`SELECT name, owner_pid FROM runs WHERE status IN ('running', 'initializing')`)
      .all() as Array<{ name: string; owner_pid: number }>
    for (const run of active) {
      if (!alive(run.owner_pid)) problems.push(`run ${run.name} is running without a live owner`)
    }
    versions = (
      store.db
        .prepare('SELECT id, artifact_store_uri AS uri, prefix, digest FROM artifact_versions')
        .all() as typeof versions
    ).filter((version) => !options.damaged?.has(version.id))
  } finally {
    store.close()
  }
  for (const version of versions) {
    const found = version.uri.startsWith('file:')
      ? digestOnDisk(join(fileURLToPath(version.uri), version.prefix))
      : await options.remoteDigest?.(version.uri, version.prefix)
    if (found === undefined && !version.uri.startsWith('file:') && !options.remoteDigest) continue
    if (found === undefined) problems.push(`artifact version ${version.id} lost (${version.prefix})`)
    else if (found !== version.digest)
      problems.push(`artifact version ${version.id} altered (${version.prefix})`)
  }
  for (const { stdout, stderr } of options.outputs) {
    for (const canary of options.canaries) {
      if (stdout.includes(canary) || stderr.includes(canary)) problems.push(`a canary was printed: ${canary}`)
    }
  }
  return problems
}
