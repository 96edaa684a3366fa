import type { ModelReference, ResolvedModel } from '@strata/core'
import type { ArtifactVersionRecord } from '@strata/store'
import type { RunRepositories } from './store-recorder.js'

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
export function linkedArtifacts(
  repositories: RunRepositories,
  versionId: string,
): ResolvedModel['artifacts'] {
  const linked: ResolvedModel['artifacts'] = {}
  for (const link of repositories.models.artifacts(versionId)) {
    linked[link.name] ??= artifactInfo(repositories.artifacts.requireVersionById(link.artifactVersionId))
  }
  return linked
}

/**
 * Resolves the model references of a run when it starts (call inside the write transaction that creates
 * the run): a reference without a version creates one new version (shared by every step naming the
 * model); one with a version (number, name, stage, `latest`) resolves to that version now, so a later
 * promotion changes what the next run uses, not this one.
 */
export function modelResolver(
  repositories: RunRepositories,
): (reference: ModelReference | undefined) => ResolvedModel | undefined {
  const resolved = new Map<string, ResolvedModel>()
  return (reference) => {
    if (!reference) return undefined
    const key = `${reference.name}@${reference.version ?? '(new)'}`
    let model = resolved.get(key)
    if (!model) {
      const version =
        reference.version === undefined
          ? repositories.models.createVersion(reference.name)
          : repositories.models.version(reference.name, reference.version)
      model = {
        ...reference,
        versionId: version.id,
        number: version.number,
        artifacts: reference.version === undefined ? {} : linkedArtifacts(repositories, version.id),
      }
      resolved.set(key, model)
    }
    return model
  }
}
