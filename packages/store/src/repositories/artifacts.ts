import type { Page } from './runs.js'

export type ArtifactSaveType = 'step_output' | 'manual' | 'preexisting'

export interface ArtifactVersionRecord {
  id: string
  artifactId: string
  name: string
  version: number
  kind: string
  artifactStoreUri: string
  /** Key prefix in the artifact store, ending with `/`. */
  prefix: string
  materializer: string
  materializerVersion: number
  dataType: string
  digest: string
  size: number
  producerStepRunId: string | null
  saveType: ArtifactSaveType
  createdAt: string
}

export interface NewArtifactVersion {
  /** Chosen by the writer, so re-ingesting a journal finds the same version. */
  id?: string
  name: string
  kind: string
  artifactStoreUri: string
  prefix: string
  materializer: string
  materializerVersion: number
  dataType: string
  digest: string
  size: number
  producerStepRunId?: string | null
  saveType: ArtifactSaveType
}

export interface ArtifactSummary {
  id: string
  name: string
  versions: number
  latestVersion: number
  latestCreatedAt: string
}

/** Artifacts and their versions. A version's row is the commit point: it is written after its bytes. */
export interface ArtifactRepository {
  /**
   * Records a version whose bytes are already in the artifact store; its number is the next for its name,
   * assigned inside the write transaction. Recording the same id (or prefix) twice returns the first record.
   */
  createVersion(version: NewArtifactVersion): Promise<ArtifactVersionRecord>
  versionById(id: string): Promise<ArtifactVersionRecord | undefined>
  /** @throws StrataError `ARTIFACT_VERSION_NOT_FOUND` */
  requireVersionById(id: string): Promise<ArtifactVersionRecord>
  /**
   * A version of a named artifact: a number, or the newest when omitted.
   * @throws StrataError `ARTIFACT_VERSION_NOT_FOUND` naming the artifact and the versions it has
   */
  version(name: string, version?: number): Promise<ArtifactVersionRecord>
  /** Artifacts whose name contains `name`, sorted by name, one page. */
  list(options?: { name?: string; page?: number; size?: number }): Promise<Page<ArtifactSummary>>
  /** The versions of one artifact, newest first, one page. */
  versions(name: string, options?: { page?: number; size?: number }): Promise<Page<ArtifactVersionRecord>>
  /** Every recorded prefix in one artifact store (to find orphaned prefixes). */
  prefixes(artifactStoreUri: string): Promise<Set<string>>
  /**
   * Step outputs nothing refers to any more: their run was deleted, no step run consumed them, and no
   * model version links them. Manually saved and registered versions are never unreferenced.
   */
  unreferencedVersions(): Promise<ArtifactVersionRecord[]>
  /** Deletes a version's row, and its artifact when no version is left. */
  deleteVersion(id: string): Promise<void>
}
