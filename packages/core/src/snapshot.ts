import type { ComponentType } from './component-types.js'
import type { JsonObject, JsonValue } from './json-value.js'

/** Bumped when the snapshot's shape changes; a runtime refuses snapshots newer than itself. */
export const SNAPSHOT_SCHEMA_VERSION = 1

export type FailureMode = 'fail_fast' | 'stop_on_failure' | 'continue_on_failure'

export interface RetryPolicy {
  /** Attempts after the first. @default 0 */
  maxRetries: number
  /** Milliseconds before the first retry. @default 0 */
  delay: number
  /** Multiplier applied to `delay` after each retry. @default 1 */
  backoff: number
}

/** Where a step input comes from. */
export type StepInputSource =
  | { kind: 'step'; step: string; output: string }
  | { kind: 'artifact'; artifactVersionId: string; name: string; version: number }

export type ArtifactKind = 'data' | 'model' | 'deployment' | 'service' | 'statistics' | 'schema' | 'base'

export interface StepOutputSpec {
  /** The artifact's name; versions are numbered per name. */
  artifactName: string
  /** An explicit materializer id; otherwise chosen by the value's type. */
  materializer?: string
  kind: ArtifactKind
}

export interface ModelReference {
  name: string
  /** A number, a version name, a stage (`staging`, `production`, `archived`) or `latest`; absent = new version. */
  version?: string | number
}

/** An artifact version as runs record and consume it: enough to load it with no metadata store. */
export interface ArtifactVersionInfo {
  id: string
  name: string
  kind: string
  artifactStoreUri: string
  /** Key prefix in the artifact store, ending with `/`. */
  prefix: string
  materializer: string
  materializerVersion: number
  dataType: string
  /** sha256 over the version's files (names and contents). */
  digest: string
  size: number
}

/** A model version resolved when the run started. */
export interface ResolvedModel extends ModelReference {
  versionId: string
  number: number
  /** The artifacts linked to the version when the run started, by artifact name (newest version of each). */
  artifacts: Record<string, ArtifactVersionInfo>
}

/** One step invocation in a compiled pipeline. */
export interface StepSnapshot {
  /** The invocation id, unique in the pipeline (`train`, `train_2`). */
  id: string
  /** The step definition's name. */
  step: string
  /** The module that defines (and exports) the step, relative to the code root. */
  source: { module: string }
  inputs: Record<string, StepInputSource>
  parameters: JsonObject
  /** Invocations that must finish first: data dependencies and `after:` ordering. */
  upstream: string[]
  outputs: Record<string, StepOutputSpec>
  /** Component settings keyed `<type>.<flavor>`, already merged (run config > step > pipeline). */
  settings: JsonObject
  retry: RetryPolicy
  cache: { enabled: boolean; version?: string }
  /** Digest of the step's code and what it imports. */
  codeFingerprint: string
  experimentTracker: boolean
  model?: ResolvedModel
  /** Names of environment variables and secrets the step declares (part of the cache key). */
  env: string[]
  secrets: string[]
}

/** A pipeline compiled for one run: what an orchestrator receives. JSON-serialisable. */
export interface PipelineSnapshot {
  schemaVersion: typeof SNAPSHOT_SCHEMA_VERSION
  runId: string
  runName: string
  pipeline: { name: string; parameters: JsonObject }
  /** In topological order. */
  steps: StepSnapshot[]
  failureMode: FailureMode
  settings: JsonObject
  stack: { name: string; components: Partial<Record<ComponentType, { name: string; flavor: string }>> }
  code: {
    /** The project root on the machine that compiled the run. */
    root: string
    /** Per step module: its fingerprint and what it is made of. */
    modules: Record<
      string,
      { digest: string; files: Record<string, string>; packages: Record<string, string> }
    >
    /** The module that defines the pipeline, relative to the root (to resume the run). */
    pipelineModule?: string
    /** Key of the code bundle in the artifact store, for steps that run in other processes. */
    bundleKey?: string
  }
  model?: ResolvedModel
  /** State from the experiment tracker's pipeline-level run, for steps in other processes. */
  experimentTrackerState?: JsonValue
  createdAt: string
}
