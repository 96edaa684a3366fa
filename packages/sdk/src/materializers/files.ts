const FILE = Symbol.for('strata.artifact-file')
const DIRECTORY = Symbol.for('strata.artifact-directory')

/** A file a step wrote, returned as an output: `return file('/tmp/model.onnx')`. Loads as an `ArtifactFile`. */
export class ArtifactFile {
  readonly [FILE] = true
  /** An absolute local path. Treat it as read-only when loaded from a store. */
  readonly path: string
  constructor(path: string) {
    this.path = path
  }
}

/** A directory a step wrote, returned as an output: `return directory(outDir)`. Loads as an `ArtifactDirectory`. */
export class ArtifactDirectory {
  readonly [DIRECTORY] = true
  /** An absolute local path. Treat it as read-only when loaded from a store. */
  readonly path: string
  constructor(path: string) {
    this.path = path
  }
}

/** Marks a path as a file output (a plain string output would be stored as text). */
export function file(path: string): ArtifactFile {
  return new ArtifactFile(path)
}

/** Marks a path as a directory output. */
export function directory(path: string): ArtifactDirectory {
  return new ArtifactDirectory(path)
}

export function isArtifactFile(value: unknown): value is ArtifactFile {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[FILE] === true
}

export function isArtifactDirectory(value: unknown): value is ArtifactDirectory {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[DIRECTORY] === true
}
