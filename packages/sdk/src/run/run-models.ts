import type { ModelReference, ResolvedModel } from '@strata/core'
import type { ArtifactVersionRecord, StoreRepositories, StoreTransaction } from '@strata/store'

export function artifactInfo(record: ArtifactVersionRecord): ResolvedModel['artifacts'][string] {
  return {
    id: record.id,
    name: record.name,
    kind: record.kind,
    artifactStoreUri: record.artifactStoreUri,
    prefix: record.prefix,
    materializer: record.materializer,
    materializerVersion: record.materializerVersion,
    dataType: record.dataType,
    digest: record.digest,
    size: record.size,
  }
}

/** The artifacts linked to a model version, by name (newest version of each name). */
export async function linkedArtifacts(
  repositories: StoreRepositories,
  versionId: string,
): Promise<ResolvedModel['artifacts']> {
  const linked: ResolvedModel['artifacts'] = {}
  for (const link of await repositories.models.artifacts(versionId)) {
    linked[link.name] ??= artifactInfo(
      await repositories.artifacts.requireVersionById(link.artifactVersionId),
    )
  }
  return linked
}

/**
 * Resolves the model references of a run when it starts (call inside the write transaction that creates
 * the run): a reference without a version creates one new version (shared by every step naming the
 * model); one with a version (number, name, stage, `latest`) resolves to that version now, so a later
 * promotion changes what the next run uses, not this one. Steps resolve first, in order, then the
 * pipeline's model; the answer looks each reference up.
 */
export async function resolveModels(
  tx: StoreTransaction,
  compiled: {
    steps: ReadonlyArray<{ model?: ModelReference | undefined }>
    model?: ModelReference | undefined
  },
): Promise<(reference: ModelReference | undefined) => ResolvedModel | undefined> {
  const resolved = new Map<string, ResolvedModel>()
  const key = (reference: ModelReference) => `${reference.name}@${reference.version ?? '(new)'}`
  for (const reference of [...compiled.steps.map((step) => step.model), compiled.model]) {
    if (!reference || resolved.has(key(reference))) continue
    const version =
      reference.version === undefined
        ? await tx.models.createVersion(reference.name)
        : await tx.models.version(reference.name, reference.version)
    resolved.set(key(reference), {
      ...reference,
      versionId: version.id,
      number: version.number,
      artifacts: reference.version === undefined ? {} : await linkedArtifacts(tx, version.id),
    })
  }
  return (reference) => (reference ? resolved.get(key(reference)) : undefined)
}
