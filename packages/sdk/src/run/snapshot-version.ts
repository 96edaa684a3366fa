import { type PipelineSnapshot, SNAPSHOT_SCHEMA_VERSION, StrataError } from '@strata/core'

/**
 * Refuses a snapshot written by a newer Strata than this one: its fields may mean something this runtime
 * does not know, and running it anyway could record wrong results. Older snapshots are read as they are.
 * @throws StrataError `SNAPSHOT_TOO_NEW` naming both schema versions and the upgrade
 */
export function checkSnapshotVersion(snapshot: Pick<PipelineSnapshot, 'schemaVersion'>, where: string): void {
  const version = snapshot.schemaVersion
  if (typeof version === 'number' && version <= SNAPSHOT_SCHEMA_VERSION) return
  throw new StrataError(
    'SNAPSHOT_TOO_NEW',
    `${where}: the run's snapshot has schema version ${JSON.stringify(version)}, but this Strata understands up to version ${SNAPSHOT_SCHEMA_VERSION} — upgrade @strata/sdk and @strata/cli (in the project and in the step image) to the version that started the run`,
  )
}
