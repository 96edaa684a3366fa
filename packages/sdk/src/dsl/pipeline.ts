import { type FailureMode, quote, StrataError } from '@strata/core'
import type { z } from 'zod'
import { type CompiledPipeline, compilePipeline, type PipelineDefinition } from '../compiler/compile.js'
import type { RunConfig } from '../compiler/run-config.js'
import type { PipelineRun, RunOptions } from '../run/run-pipeline.js'
import { callerModule } from './caller-module.js'
import type { ExecutionConfig, FailureHook, SuccessHook } from './step-definition.js'

const PIPELINE = Symbol.for('strata.pipeline')

type ParamsSchema = z.ZodObject | undefined
type ParamsOutput<S extends ParamsSchema> = S extends z.ZodObject ? z.output<S> : Record<string, never>
type ParamsInput<S extends ParamsSchema> = S extends z.ZodObject ? z.input<S> : Record<string, never>

/** A synchronous body: a promise-returning body is a type error. */
type SyncBody<S extends ParamsSchema, R> = (
  params: ParamsOutput<S>,
) => R extends PromiseLike<unknown> ? never : R

export interface PipelineOptions<S extends ParamsSchema> extends ExecutionConfig {
  name: string
  /** The pipeline's parameters (zod): validated, passed to the body, recorded with the run. */
  params?: S
  /** @default 'continue_on_failure' */
  failureMode?: FailureMode
  onSuccess?: SuccessHook
  onFailure?: FailureHook
}

export interface PipelineRunOptions<S extends ParamsSchema> extends Omit<RunOptions, 'params'> {
  params?: ParamsInput<S>
}

/** A pipeline: `run()` it, or `compile()` it to inspect what would run. */
export interface Pipeline<S extends ParamsSchema = ParamsSchema> {
  readonly name: string
  readonly definition: PipelineDefinition
  /**
   * Compiles and runs the pipeline on the active stack (or `stack`). Inside a step process this is a
   * no-op, so a module that ends with `await pipeline.run()` can be imported there safely.
   * @throws StrataError for invalid configuration, mis-wiring or an invalid stack (nothing runs then)
   */
  run(options?: PipelineRunOptions<S>): Promise<PipelineRun>
  /** Compiles without running: the steps in order with their merged configuration. */
  compile(options?: { params?: ParamsInput<S>; config?: RunConfig }): CompiledPipeline
}

/**
 * Declares a pipeline: a synchronous body that wires steps. It runs once per run, with the run's
 * parameters, to build the DAG; nothing executes while it runs.
 *
 * ```ts
 * export const training = pipeline({ name: 'training', params: z.object({ seed: z.number().default(7) }) }, (params) => {
 *   const { train, test } = split({ dataset: load({ params: { seed: params.seed } }) })
 *   evaluate({ model: fit({ train }), test })
 * })
 * await training.run()
 * ```
 */
export function pipeline<S extends ParamsSchema = undefined, R = void>(
  options: PipelineOptions<S>,
  body: SyncBody<S, R>,
): Pipeline<S> {
  if (typeof options?.name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(options.name)) {
    throw new StrataError(
      'INVALID_PIPELINE',
      `pipeline name ${quote(options?.name)} is invalid — use letters, digits, '_', '-' and '.', starting with a letter`,
    )
  }
  if (typeof body !== 'function') {
    throw new StrataError(
      'INVALID_PIPELINE',
      `pipeline '${options.name}' needs a body function as its second argument`,
    )
  }
  const { name, params, ...config } = options
  const definition: PipelineDefinition = {
    name,
    params,
    body: body as PipelineDefinition['body'],
    config,
    module: callerModule(),
  }
  const result: Pipeline<S> = {
    name,
    definition,
    async run(runOptions = {}) {
      const { runPipeline } = await import('../run/run-pipeline.js')
      return runPipeline(definition, runOptions as RunOptions)
    },
    compile(compileOptions = {}) {
      return compilePipeline(definition, {
        ...(compileOptions.params ? { params: compileOptions.params as Record<string, unknown> } : {}),
        ...(compileOptions.config
          ? { file: { config: compileOptions.config, source: 'compile() config' } }
          : {}),
      })
    },
  }
  Object.defineProperty(result, PIPELINE, { value: true })
  return Object.freeze(result)
}

/** True for a value made by `pipeline()`, from any copy of the SDK. */
export function isPipeline(value: unknown): value is Pipeline {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[PIPELINE] === true
}
