import type { StepContext, StepTracking } from '@strata/core'
import { NAME_RULE, nameProblem, quote, StrataError } from '@strata/core'
import type { z } from 'zod'
import { callerModule } from './caller-module.js'
import { currentCompilation } from './compilation.js'
import type { InputHandle, OutputHandle, StepInvocation } from './handles.js'
import { type InputValues, isStepInput, type StepInputs } from './input.js'
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
const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/

type ParamsSchema = z.ZodObject | undefined
type ParamsInput<S extends ParamsSchema> = S extends z.ZodObject ? z.input<S> : Record<string, never>
type ParamsOutput<S extends ParamsSchema> = S extends z.ZodObject ? z.output<S> : Record<string, never>

type Handles<TIn> = { [K in keyof TIn]: InputHandle<TIn[K]> }

type OutputNames = readonly string[] | undefined

/** A step's `experimentTracker` option as declared: `true` or a tracker's name make the tracker certain. */
type TrackerOption = boolean | string | undefined

/** `ctx.experimentTracker` for a step's `experimentTracker` option: present when the step requires one. */
type TrackingFor<TTracker extends TrackerOption> = TTracker extends true | string
  ? StepTracking
  : StepTracking | undefined

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

/** A step without inputs takes no inputs argument: `(options?)` in a body, `(params?)` in `.call`. */
type HasNoInputs<TIn> = keyof TIn extends never ? true : false

export interface StepOptions<
  TInputs extends StepInputs,
  S extends ParamsSchema,
  TOutNames extends OutputNames,
  TModel extends Record<string, unknown> = Record<string, unknown>,
  TTracker extends TrackerOption = undefined,
> extends Omit<StepConfig, 'model' | 'experimentTracker'> {
  /** Unique in a pipeline run; the invocation id when called once. */
  name: string
  /** The inputs, each declared once with its type: `{ dataset: input<Row[]>() }`. Omit for none. */
  inputs?: TInputs
  /** Names of several outputs (the function returns an object with these keys); `[]` for none; omit for one. */
  outputs?: TOutNames
  /** The step's parameters: JSON values, validated, part of the cache key. */
  params?: S
  /** The model this step works on (`ctx.model`); overrides the pipeline's. Use `model<{...}>()` to type its artifacts. */
  model?: ModelSpec<TModel>
  /**
   * Opt in to the stack's experiment tracker: `true`, or the tracker component's name. Then
   * `ctx.experimentTracker` is always present (the run refuses a stack without it); otherwise it is
   * present only when the pipeline or a run config opts the step in.
   */
  experimentTracker?: TTracker
}

/** A step: call it inside a pipeline body to wire it; `.definition` describes it. */
export interface Step<TIn, TOut, S extends ParamsSchema, TOutNames extends OutputNames> {
  (
    ...args: HasNoInputs<TIn> extends true
      ? [options?: InvocationOptions<S>]
      : [inputs: Handles<TIn>, options?: InvocationOptions<S>]
  ): StepOutputs<TOut, TOutNames>
  readonly definition: StepDefinition
  /**
   * Runs the step function directly (outside any pipeline), e.g. in a unit test: `call(inputs, params?)`,
   * or `call(params?)` for a step without inputs.
   */
  call(
    ...args: HasNoInputs<TIn> extends true
      ? [params?: ParamsInput<S>]
      : [inputs: TIn, params?: ParamsInput<S>]
  ): Promise<StepResult<TOut, TOutNames>>
}

/** Any step, for APIs that accept steps of every shape. */
// biome-ignore lint/suspicious/noExplicitAny: a step of any input/output type
export type AnyStep = Step<any, any, any, any>

function invalid(message: string): StrataError {
  return new StrataError('INVALID_STEP', message)
}

/** The input names of `inputs`, in order, after checking each was declared with `input<T>()`. */
function inputNames(step: string, inputs: unknown): string[] {
  if (inputs === undefined) return []
  const example = 'inputs: { dataset: input<Row[]>() }'
  if (Array.isArray(inputs)) {
    throw invalid(
      `step '${step}': inputs is a list of names — declare each input once, with its type: ${example}`,
    )
  }
  if (typeof inputs !== 'object' || inputs === null) {
    throw invalid(`step '${step}': inputs must be an object of input<T>() declarations — e.g. ${example}`)
  }
  const names = Object.keys(inputs)
  for (const name of names) {
    if (!NAME.test(name)) {
      throw invalid(
        `step '${step}': input name ${quote(name)} is invalid — use letters, digits, '_', '-' and '.', starting with a letter`,
      )
    }
    if (!isStepInput((inputs as Record<string, unknown>)[name])) {
      throw invalid(
        `step '${step}': input '${name}' must be declared with input<T>() — e.g. inputs: { ${name}: input<Row[]>() }`,
      )
    }
  }
  return names
}

/**
 * Output names and the artifact names given for them keep the rule of every name: they are shown in lists
 * and stored.
 * @throws StrataError `INVALID_STEP` naming the output, the problem and the rule
 */
function checkOutputNames(
  step: string,
  outputs: readonly unknown[] | undefined,
  artifacts: Record<string, { name?: unknown } | undefined> | undefined,
): void {
  for (const output of outputs ?? []) {
    const problem = typeof output === 'string' ? nameProblem(output) : 'is not a string'
    if (problem) throw invalid(`step '${step}': output name ${quote(output)} ${problem} — ${NAME_RULE}`)
  }
  for (const [output, artifact] of Object.entries(artifacts ?? {})) {
    if (artifact?.name === undefined) continue
    const problem = typeof artifact.name === 'string' ? nameProblem(artifact.name) : 'is not a string'
    if (problem) {
      throw invalid(
        `step '${step}': artifact name ${quote(artifact.name)} of output ${quote(output)} ${problem} — ${NAME_RULE}`,
      )
    }
  }
}

/**
 * Declares a step: a typed async function whose outputs become versioned artifacts. Export it from its
 * module (step processes find steps by their module's exports). The function's first parameter is typed
 * from `inputs`; `ctx.params` from `params`; `ctx.experimentTracker` from `experimentTracker`.
 *
 * ```ts
 * export const split = step(
 *   { name: 'split', inputs: { dataset: input<Row[]>() }, outputs: ['train', 'test'], params: z.object({ ratio: z.number() }) },
 *   async ({ dataset }, ctx) => ({ train: ..., test: ... }),
 * )
 * ```
 * @throws StrataError `INVALID_STEP` for an invalid name, an input not declared with `input<T>()`, or a missing function
 */
export function step<
  TInputs extends StepInputs = Record<never, never>,
  TOut = unknown,
  S extends ParamsSchema = undefined,
  const TOutNames extends OutputNames = undefined,
  TModel extends Record<string, unknown> = Record<string, unknown>,
  TTracker extends TrackerOption = undefined,
>(
  options: StepOptions<TInputs, S, TOutNames, TModel, TTracker>,
  fn: (
    inputs: InputValues<TInputs>,
    context: StepContext<ParamsOutput<S>, TModel, TrackingFor<TTracker>>,
  ) => Promise<StepResult<TOut, TOutNames>>,
): Step<InputValues<TInputs>, TOut, S, TOutNames> {
  if (typeof options?.name !== 'string' || !NAME.test(options.name)) {
    throw invalid(
      `step name ${quote(options?.name)} is invalid — use letters, digits, '_', '-' and '.', starting with a letter`,
    )
  }
  if (typeof fn !== 'function') {
    throw invalid(`step '${options.name}' needs an async function as its second argument`)
  }
  const { name, inputs, outputs, params, artifacts, onSuccess, onFailure, ...config } = options
  checkOutputNames(name, outputs, artifacts)
  const definition: StepDefinition = Object.freeze({
    name,
    inputs: Object.freeze(inputNames(name, inputs)),
    outputs: outputs ? Object.freeze([...outputs]) : undefined,
    params,
    fn: fn as unknown as StepDefinition['fn'],
    config: {
      ...config,
      ...(artifacts ? { artifacts } : {}),
      ...(onSuccess ? { onSuccess } : {}),
      ...(onFailure ? { onFailure } : {}),
    },
    module: callerModule(),
  })
  const usage = definition.inputs.length === 0 ? `${name}.call(params)` : `${name}.call(inputs, params)`
  const invoke = (...args: unknown[]): unknown => {
    const compilation = currentCompilation()
    if (!compilation) {
      throw new StrataError(
        'STEP_OUTSIDE_PIPELINE',
        `step '${name}' was called outside a pipeline body — call it inside pipeline(...)'s body, or use ${usage} to run the function directly`,
      )
    }
    return compilation.invoke(definition, args)
  }
  const call = async (...args: unknown[]) => {
    if (definition.inputs.length === 0 && args.length > 1) {
      throw new StrataError(
        'INVALID_CALL',
        `step '${name}' has no inputs, so .call takes its parameters first — ${usage}`,
      )
    }
    const [inputValues, paramValues] = definition.inputs.length === 0 ? [{}, args[0]] : args
    const { runStepDirectly } = await import('../runtime/direct-call.js')
    return runStepDirectly(definition, inputValues, paramValues)
  }
  Object.defineProperty(invoke, STEP, { value: true })
  return Object.assign(invoke, { definition, call }) as unknown as Step<
    InputValues<TInputs>,
    TOut,
    S,
    TOutNames
  >
}

/** True for a value made by `step()`, from any copy of the SDK. */
export function isStep(value: unknown): value is AnyStep {
  return typeof value === 'function' && (value as unknown as Record<symbol, unknown>)[STEP] === true
}
