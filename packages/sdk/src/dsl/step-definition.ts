// What the runtime knows of a step: plain data and an untyped function. The typed front (`step()`, its
// inputs and call signatures) lives in step.ts; the compiler, the runtime and direct calls need only this.
import type { ArtifactKind, ModelReference, RetryPolicy, StepContext } from '@strata/core'
import type { z } from 'zod'
import type { Materializer } from '../materializers/materializer.js'

/** Component settings keyed `<type>.<flavor>` (e.g. `'orchestrator.local': { isolation: 'process' }`). */
export type Settings = Record<string, Record<string, unknown>>

/** How one output is stored. */
export interface OutputConfig {
  /** The artifact's name; versions are numbered per name. @default `<pipeline>::<step>::<output>`, or the output's name when `outputs` names it */
  name?: string
  /** @default 'data' */
  kind?: ArtifactKind
  /** A materializer id; otherwise chosen by the value's type. */
  materializer?: string
}

export interface HookContext {
  pipelineName: string
  runId: string
  runName: string
  /** The step's invocation id (step hooks only). */
  stepName?: string
}

export type SuccessHook = (context: HookContext) => void | Promise<void>
export type FailureHook = (error: Error, context: HookContext) => void | Promise<void>

/** Configuration shared by steps and pipelines; the step level wins. */
export interface ExecutionConfig {
  /** Reuse outputs of an earlier identical execution. @default true */
  cache?: boolean
  /** Bump to invalidate cached results without changing code. */
  cacheVersion?: string
  retry?: Partial<RetryPolicy>
  settings?: Settings
  /**
   * Opt in to the stack's experiment tracker (`true`, or the tracker component's name). On a step, `true`
   * or a name makes `ctx.experimentTracker` always present: the run refuses a stack without that tracker.
   */
  experimentTracker?: boolean | string
  model?: ModelReference
  /** Names of environment variables the step depends on (part of the cache key, not their values). */
  env?: string[]
  /** Names of secrets the step uses (part of the cache key). */
  secrets?: string[]
  materializers?: Materializer[]
}

/** A step's own configuration: the shared part plus what only steps have. */
export interface StepConfig extends ExecutionConfig {
  /** Per output: artifact name, kind, materializer. Keyed by output name (`output` for a single output). */
  artifacts?: Record<string, OutputConfig>
  onSuccess?: SuccessHook
  onFailure?: FailureHook
}

/** The runtime description of a step (everything but its typed call signatures). */
export interface StepDefinition {
  readonly name: string
  /** The input names, in declaration order; empty for a step without inputs. */
  readonly inputs: readonly string[]
  /** `undefined` = one output named `output`. */
  readonly outputs: readonly string[] | undefined
  readonly params: z.ZodObject | undefined
  readonly fn: (
    inputs: Record<string, unknown>,
    context: StepContext<Record<string, unknown>>,
  ) => Promise<unknown>
  readonly config: StepConfig
  /** The file that defined the step (its code fingerprint starts there). */
  readonly module: string | undefined
}
