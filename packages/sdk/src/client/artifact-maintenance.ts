import type { ArtifactLeftover, ArtifactStoreHost } from '@strata/core'
import type { ArtifactVersionRecord, StoreRepositories } from '@strata/store'
import { reconcileAbandonedRuns } from '../run/run-owner.js'
import {
  type ArtifactDataState,
  checkArtifactData,
  damageKey,
  verifyArtifactData,
} from '../step/artifact-integrity.js'

export interface PruneResult {
  dryRun: boolean
  /** Step outputs nothing refers to any more. */
  versions: ArtifactVersionRecord[]
  /** Prefixes in the artifact store without a version row (left by crashed writes). */
  orphanedPrefixes: string[]
  /**
   * Temporary files that killed writes left behind (stores that write through them: the local store),
   * whose writer is gone, or unknown and older than the grace period.
   */
  temporaryFiles: Array<Pick<ArtifactLeftover, 'key' | 'size' | 'writer'>>
  /** Why some candidates were kept. */
  notes: string[]
}

/** Orphans and temporary files of an unknown writer younger than this may be writes in progress. */
const GRACE_MS = 10 * 60_000

/** Which temporary files to reclaim: never one a live writer owns (see {@link PruneResult.temporaryFiles}). */
async function reclaimableLeftovers(
  store: ArtifactStoreHost,
  notes: string[],
): Promise<PruneResult['temporaryFiles']> {
  const reclaimable: PruneResult['temporaryFiles'] = []
  for await (const leftover of store.leftovers()) {
    if (leftover.writer === 'alive') {
      notes.push(`${leftover.key} kept: the process writing it is alive`)
      continue
    }
    if (leftover.writer === 'unknown' && Date.now() - leftover.modifiedAt.getTime() < GRACE_MS) {
      notes.push(
        `${leftover.key} kept: written less than 10 minutes ago by a process this machine cannot check`,
      )
      continue
    }
    reclaimable.push({ key: leftover.key, size: leftover.size, writer: leftover.writer })
  }
  return reclaimable
}

/**
 * Finds (and unless `dryRun`, deletes) unreferenced step outputs, orphaned prefixes and temporary files
 * of killed writes in an artifact store. Orphans younger than 10 minutes, or any while a run is active, are
 * kept: they may be writes in progress. A temporary file is kept while its writer lives, whatever its age;
 * one whose writer is gone is reclaimed at once (nothing can finish it), one whose writer this machine
 * cannot check after 10 minutes.
 */
export async function pruneArtifacts(
  repositories: StoreRepositories,
  store: ArtifactStoreHost,
  options: { dryRun?: boolean } = {},
): Promise<PruneResult> {
  const dryRun = options.dryRun ?? true
  const { artifacts, runs } = repositories
  await reconcileAbandonedRuns({ repositories })
  const notes: string[] = []
  const versions = (await artifacts.unreferencedVersions()).filter(
    (version) => version.artifactStoreUri === store.uri,
  )
  const known = await artifacts.prefixes(store.uri)
  const active = (await runs.active()).length
  const candidates = new Map<string, string>()
  for await (const entry of store.listAll('artifacts/')) {
    const prefix = `${entry.key.split('/').slice(0, 3).join('/')}/`
    if (!known.has(prefix) && !candidates.has(prefix)) candidates.set(prefix, entry.key)
  }
  const orphanedPrefixes: string[] = []
  if (active > 0 && candidates.size > 0) {
    notes.push(
      `${candidates.size} orphan candidate(s) kept: ${active} run(s) are active and may be writing them`,
    )
  } else {
    for (const [prefix, sample] of candidates) {
      const modified = (await store.stat(sample))?.modifiedAt?.getTime()
      if (modified !== undefined && Date.now() - modified < GRACE_MS) {
        notes.push(`${prefix} kept: written less than 10 minutes ago`)
        continue
      }
      orphanedPrefixes.push(prefix)
    }
  }
  const temporaryFiles = await reclaimableLeftovers(store, notes)
  if (!dryRun) {
    for (const version of versions) {
      await store.deletePrefix(version.prefix)
      await store.delete(damageKey(version.id))
      await artifacts.deleteVersion(version.id)
    }
    for (const prefix of orphanedPrefixes) await store.deletePrefix(prefix)
    for (const leftover of temporaryFiles) await store.removeLeftover(leftover.key)
  }
  return { dryRun, versions, orphanedPrefixes, temporaryFiles, notes }
}

/** How a version's data stands (see {@link ArtifactDataState}); `unchecked` when it is in another store. */
export type ArtifactDataReport = ArtifactDataState | { state: 'unchecked'; reason: string }

/**
 * Whether a version's data is still in its store: its files listed with the recorded size and no damage
 * found by a load (cheap), or with `verify` every byte read and checked against its digest.
 */
export async function artifactData(
  store: ArtifactStoreHost,
  version: ArtifactVersionRecord,
  options: { verify?: boolean } = {},
): Promise<ArtifactDataReport> {
  if (version.artifactStoreUri !== store.uri) {
    return {
      state: 'unchecked',
      reason: `it is in artifact store ${version.artifactStoreUri}, not the active stack's — activate a stack with that store to check it`,
    }
  }
  return options.verify ? verifyArtifactData(store, version) : checkArtifactData(store, version)
}
