import type { ModelReference } from '@strata/core'

declare const ARTIFACTS: unique symbol

/** A model reference that also carries the types of the model's artifacts (for `ctx.model.loadArtifact`). */
export interface ModelSpec<TArtifacts extends Record<string, unknown> = Record<string, unknown>>
  extends ModelReference {
  /** Phantom: the artifacts' types; absent at run time. */
  readonly [ARTIFACTS]?: TArtifacts
}

/**
 * Declares a model for a pipeline or step: `model: model<{ classifier: Classifier }>({ name: 'churn', version: 'production' })`.
 * Without `version`, a run creates a new version; with one (number, name, stage or `latest`) it uses that
 * version, resolved when the run starts. The type parameter types `ctx.model.loadArtifact(name)`.
 */
export function model<TArtifacts extends Record<string, unknown> = Record<string, unknown>>(
  reference: ModelReference,
): ModelSpec<TArtifacts> {
  return Object.freeze({ ...reference })
}
