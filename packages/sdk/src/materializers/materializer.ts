import type { ArtifactBody } from '@strata/core'

/** Where a materializer writes one artifact version: files under the version's fresh prefix. */
export interface ArtifactTarget {
  /** Writes one file (`data.json`, `data/part-0.bin`); streamed, hashed for the content digest. */
  write(name: string, body: ArtifactBody): Promise<void>
}

/** Where a materializer reads one artifact version from. */
export interface ArtifactSource {
  /** What `dataType()` returned when the version was saved. */
  readonly dataType: string
  /** The materializer version that saved it: load older formats when they differ. */
  readonly materializerVersion: number
  read(name: string): Promise<AsyncIterable<Uint8Array>>
  readBytes(name: string): Promise<Uint8Array>
  readText(name: string): Promise<string>
  /** Files of this version, relative to it. */
  list(): Promise<string[]>
  /** A local directory holding this version's files (the store's own, or a download). */
  localDirectory(): Promise<string>
}

/**
 * Saves and loads values of some type as artifact files. Add one to a step or pipeline with
 * `materializers: [...]`; it is chosen for values it `canSave`, or by id through `artifacts: { out: { materializer } }`.
 */
export interface Materializer<T = unknown> {
  /** Stable id recorded with every version it saves, e.g. `acme.parquet`. */
  readonly id: string
  /** Bump when the stored format changes; `load` receives the version that saved each artifact. */
  readonly version: number
  /** Claims values when no materializer is named explicitly. */
  canSave(value: unknown): boolean
  /** A short description of the value's type, recorded as the artifact's data type. */
  dataType(value: T): string
  save(value: T, target: ArtifactTarget): Promise<void>
  load(source: ArtifactSource): Promise<T>
}

/** Declares a materializer (an identity function that checks the type). */
export function defineMaterializer<T>(materializer: Materializer<T>): Materializer<T> {
  return materializer
}
