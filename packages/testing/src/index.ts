export { type ArtifactStoreSuiteOptions, artifactStoreConformance } from './artifact-store-suite.js'
export { collectBytes, patternStream } from './streams.js'
