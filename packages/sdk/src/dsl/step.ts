import { type StepContext, StrataError } from '@strata/core'
import type { z } from 'zod'
import { callerModule } from './caller-module.js'
import { currentCompilation, type RawInvocationOptions } from './compilation.js'
import type { InputHandle, OutputHandle, StepInvocation } from './handles.js'
import type { ModelSpec } from './model.js'
import type { StepConfig, StepDefinition } from './step-definition.js'

// The runtime's types, where users and the SDK's index have always found them.
export type {
  ExecutionConfig,
  FailureHook,
  HookContext,
  OutputConfig,
  Settings,
  StepDefinition,
  SuccessHook,
} from './step-definition.js'

const STEP = Symbol.for('strata.step')

type ParamsSchema = z.ZodObject | undefined
type ParamsInput<S extends ParamsSchema> = S extends z.ZodObject ? z.input<S> : Record<string, never>
type ParamsOutput<S extends ParamsSchema> = S extends z.ZodObject ? z.output<S> : Record<string, never>

/** Every key of `TIn` must be listed in `inputs` (so mis-wiring is caught at run time too). */
type ExactNames<TNames extends readonly string[], TKeys extends string> = [
  Exclude<TKeys, TNames[number]>,
] extends [never]
  ? TNames
  : `inputs must list: ${Exclude<TKeys, TNames[number]>}`

type Handles<TIn> = { [K in keyof TIn]: InputHandle<TIn[K]> }

type OutputNames = readonly string[] | undefined

type StepResult<TOut, TOutNames extends OutputNames> = TOutNames extends readonly []
  ? // biome-ignore lint/suspicious/noConfusingVoidType: a step without outputs is an async function returning nothing
    void
  : TOutNames extends readonly string[]
    ? { [K in TOutNames[number]]: unknown } & TOut
    : TOut

/** What calling a step in a pipeline body returns. */
export type StepOutputs<TOut, TOutNames extends OutputNames> = TOutNames extends readonly string[]
  ? {
      readonly [K in TOutNames[number]]: OutputHandle<K extends keyof TOut ? TOut[K] : never>
    } & StepInvocation
  : OutputHandle<Awaited<TOut>>

export interface InvocationOptions<S extends ParamsSchema> {
  params?: ParamsInput<S>
  /** Run after these steps without consuming their outputs. */
  after?: ReadonlyArray<InputHandle<unknown> | StepInvocation | string>
  /** The invocation id. @default the step's name, then `<name>_2`, `<name>_3`, … */
  id?: string
}

export interface StepOptions<
  S extends ParamsSchema,
  TInNames extends readonly string[],
  TOutNames extends OutputNames,
  TModel extends Record<string, unknown> = Record<string, unknown>,
> extends Omit<StepConfig, 'model'> {
  /** The model this step works on (`ctx.model`); overrides the pipeline's. Use `model<{...}>()` to type its artifacts. */
  model?: ModelSpec<TModel>
  /** Unique in a pipeline run; the invocation id when called once. */
  name: string
  /** The names of the inputs, as the function's first parameter declares them. */
  inputs?: TInNames
  /** Names of several outputs (the function returns an object with these keys); `[]` for none; omit for one. */
  outputs?: TOutNames
  /** The step's parameters: JSON values, validated, part of the cache key. */
  params?: S
}

/** A step: call it inside a pipeline body to wire it; `.definition` describes it. */
export interface Step<TIn, TOut, S extends ParamsSchema, TOutNames extends OutputNames> {
  (
    ...args: keyof TIn extends never
      ? [inputs?: Handles<TIn>, options?: InvocationOptions<S>]
      : [inputs: Handles<TIn>, options?: InvocationOptions<S>]
  ): StepOutputs<TOut, TOutNames>
  readonly definition: StepDefinition
  /** Runs the step function directly (outside any pipeline), e.g. in a unit test. */
  call(inputs: TIn, params?: ParamsInput<S>): Promise<StepResult<TOut, TOutNames>>
}

/** Any step, for APIs that accept steps of every shape. */
// biome-ignore lint/suspicious/noExplicitAny: a step of any input/output type
export type AnyStep = Step<any, any, any, any>

/**
 * Declares a step: a typed async function whose outputs become versioned artifacts. Export it from its
 * module (step processes find steps by their module's exports).
 *
 * ```ts
 * export const split = step(
 *   { name: 'split', inputs: ['dataset'], outputs: ['train', 'test'], params: z.object({ ratio: z.number() }) },
 *   async ({ dataset }: { dataset: Row[] }, ctx) => ({ train: ..., test: ... }),
 * )
 * ```
 */
export function step<
  TIn extends Record<string, unknown> = Record<never, never>,
  TOut = unknown,
  S extends ParamsSchema = undefined,
  const TInNames extends readonly string[] = [],
  const TOutNames extends OutputNames = undefined,
  TModel extends Record<string, unknown> = Record<string, unknown>,
>(
  options: StepOptions<S, TInNames, TOutNames, TModel> & {
    inputs?: ExactNames<TInNames, keyof TIn & string>
  },
  fn: (inputs: TIn, context: StepContext<ParamsOutput<S>, TModel>) => Promise<StepResult<TOut, TOutNames>>,
): Step<TIn, TOut, S, TOutNames> {
  if (typeof options?.name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(options.name)) {
    throw new StrataError(
      'INVALID_STEP',
      `step name ${JSON.stringify(options?.name)} is invalid — use letters, digits, '_', '-' and '.', starting with a letter`,
    )
  }
  if (typeof fn !== 'function') {
    throw new StrataError(
      'INVALID_STEP',
      `step '${options.name}' needs an async function as its second argument`,
    )
  }
  const { name, inputs, outputs, params, artifacts, onSuccess, onFailure, ...config } = options
  const definition: StepDefinition = Object.freeze({
    name,
    inputs: Object.freeze([...((inputs as readonly string[] | undefined) ?? [])]),
    outputs: outputs ? Object.freeze([...outputs]) : undefined,
    params,
    fn: fn as StepDefinition['fn'],
    config: {
      ...config,
      ...(artifacts ? { artifacts } : {}),
      ...(onSuccess ? { onSuccess } : {}),
      ...(onFailure ? { onFailure } : {}),
    },
    module: callerModule(),
  })
  const invoke = (inputValues?: Record<string, unknown>, invocation?: InvocationOptions<S>): unknown => {
    const compilation = currentCompilation()
    if (!compilation) {
      throw new StrataError(
        'STEP_OUTSIDE_PIPELINE',
        `step '${name}' was called outside a pipeline body — call it inside pipeline(...)'s body, or use ${name}.call(inputs, params) to run the function directly`,
      )
    }
    return compilation.invoke(definition, inputValues ?? {}, (invocation ?? {}) as RawInvocationOptions)
  }
  const call = async (inputValues: TIn, paramValues?: ParamsInput<S>) => {
    const { runStepDirectly } = await import('../runtime/direct-call.js')
    return runStepDirectly(definition, inputValues, paramValues) as Promise<StepResult<TOut, TOutNames>>
  }
  Object.defineProperty(invoke, STEP, { value: true })
  return Object.assign(invoke, { definition, call }) as unknown as Step<TIn, TOut, S, TOutNames>
}

/** True for a value made by `step()`, from any copy of the SDK. */
export function isStep(value: unknown): value is AnyStep {
  return typeof value === 'function' && (value as unknown as Record<symbol, unknown>)[STEP] === true
}
