import type { ArtifactVersionInfo } from '@strata/core'
// From the zod-free entry: `strata artifact describe` checks data without loading zod.
import { type ArtifactStoreHost, isStrataError, StrataError } from '@strata/core/base'

/** A sha256 hash; node:crypto is loaded when one is needed (a load, --verify), not by `artifact describe`. */
const sha256 = () => process.getBuiltinModule('node:crypto').createHash('sha256')

/**
 * A version's content digest: sha256 over its files' names and sha256 digests, in name order. What
 * `saveArtifact` and `registerArtifact` record and what a load checks.
 */
export function versionDigest(files: Iterable<readonly [name: string, fileDigest: string]>): string {
  const sorted = [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  const digest = sha256()
  for (const [name, fileDigest] of sorted) digest.update(`${name}\0${fileDigest}\n`)
  return digest.digest('hex')
}

/**
 * Where a load that found a version's bytes changed leaves a note, outside every version's prefix (prune
 * walks `artifacts/`): the cache lookup reads it, so a damaged output is not reused by the next run.
 */
export function damageKey(versionId: string): string {
  return `damaged/${versionId}.json`
}

/** The version as an error names it. */
export function describeVersion(version: ArtifactVersionInfo): string {
  return `artifact '${version.name}' (version ${version.id}, prefix ${version.prefix} in ${version.artifactStoreUri})`
}

const details = (version: ArtifactVersionInfo) => ({
  artifact: version.name,
  versionId: version.id,
  prefix: version.prefix,
  artifactStore: version.artifactStoreUri,
})

/** A version whose data (or one of its files) is no longer in the store. */
export function artifactMissing(version: ArtifactVersionInfo, what: string, cause?: unknown): StrataError {
  return new StrataError(
    'ARTIFACT_MISSING',
    `${describeVersion(version)}: ${what} — run the pipeline again (a step whose output is gone is never taken from the cache) or restore the files under its prefix`,
    { details: details(version), ...(cause === undefined ? {} : { cause }) },
  )
}

/** A version whose bytes differ from what was saved. */
export function artifactCorrupt(version: ArtifactVersionInfo, what: string, cause?: unknown): StrataError {
  return new StrataError(
    'ARTIFACT_CORRUPT',
    `${describeVersion(version)} does not match its recorded digest (${what}): its files changed after it was saved — run the pipeline again (the step that made it is no longer taken from the cache) or restore the files under its prefix`,
    { details: details(version), ...(cause === undefined ? {} : { cause }) },
  )
}

export function isArtifactDataError(error: unknown): boolean {
  return isStrataError(error) && (error.code === 'ARTIFACT_MISSING' || error.code === 'ARTIFACT_CORRUPT')
}

/** How a version's data stands, as `artifact describe` shows it. */
export interface ArtifactDataState {
  /**
   * `present`: its files are there with the recorded total size (not read); `intact`: read, and they match
   * the digest; `missing`: no file is left; `damaged`: another total size, a load found it changed, or
   * (with a full check) the digest differs.
   */
  state: 'present' | 'intact' | 'missing' | 'damaged'
  files: number
  size: number
  /** What is wrong, when something is. */
  reason?: string
}

interface DamageNote {
  at: string
  reason: string
}

async function damageNote(store: ArtifactStoreHost, versionId: string): Promise<DamageNote | undefined> {
  const key = damageKey(versionId)
  if (!(await store.exists(key))) return undefined
  try {
    return JSON.parse(await store.readText(key)) as DamageNote
  } catch {
    return { at: 'an earlier load', reason: 'its digest did not match' }
  }
}

/**
 * The cheap check a cache hit must pass: the version's files are listed with the recorded total size, and
 * no load found them changed. No byte is read (the full digest is checked when the data is loaded).
 */
export async function checkArtifactData(
  store: ArtifactStoreHost,
  version: ArtifactVersionInfo,
): Promise<ArtifactDataState> {
  let files = 0
  let size = 0
  for await (const entry of store.listAll(version.prefix)) {
    files++
    size += entry.size
  }
  if (files === 0) return { state: 'missing', files, size, reason: 'its files are gone' }
  if (size !== version.size) return { state: 'damaged', files, size, reason: mismatch(size, version.size) }
  const note = await damageNote(store, version.id)
  if (note) return { state: 'damaged', files, size, reason: `a load on ${note.at} found that ${note.reason}` }
  return { state: 'present', files, size }
}

/**
 * Reads every byte of a version and checks its digest (`artifact describe --verify`). An intact version
 * loses an earlier damage note (its files were restored).
 */
export async function verifyArtifactData(
  store: ArtifactStoreHost,
  version: ArtifactVersionInfo,
): Promise<ArtifactDataState> {
  const digests: Array<[string, string]> = []
  let size = 0
  for await (const entry of store.listAll(version.prefix)) {
    const hash = sha256()
    for await (const chunk of await store.read(entry.key)) {
      hash.update(chunk)
      size += chunk.byteLength
    }
    digests.push([entry.key.slice(version.prefix.length), hash.digest('hex')])
  }
  const files = digests.length
  if (files === 0) return { state: 'missing', files, size, reason: 'its files are gone' }
  if (versionDigest(digests) !== version.digest) {
    const reason = mismatch(size, version.size)
    await noteDamage(store, version, reason)
    return { state: 'damaged', files, size, reason }
  }
  await store.delete(damageKey(version.id)).catch(() => {})
  return { state: 'intact', files, size }
}

/** Says how the bytes found differ from the bytes saved. */
export function mismatch(found: number, saved: number): string {
  return found === saved
    ? `its ${saved} bytes have the recorded size but other content`
    : `it holds ${found} bytes, ${saved} were saved`
}

/** Leaves the damage note (best effort: a reader without write access still gets its error). */
export async function noteDamage(
  store: ArtifactStoreHost,
  version: ArtifactVersionInfo,
  reason: string,
): Promise<void> {
  const note: DamageNote & { artifact: string; prefix: string } = {
    at: new Date().toISOString(),
    reason,
    artifact: version.name,
    prefix: version.prefix,
  }
  await store.write(damageKey(version.id), JSON.stringify(note)).catch(() => {})
}
