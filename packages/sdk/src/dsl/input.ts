declare const VALUE_TYPE: unique symbol

const INPUT = Symbol.for('strata.input')

/**
 * One declared step input: `inputs: { dataset: input<Row[]>() }`. Its type is the value the step function
 * receives and the type of handle a pipeline body must pass.
 */
export interface StepInput<T> {
  /** Phantom: carries the input's type; absent at run time. */
  readonly [VALUE_TYPE]: T
}

/** A step's declared inputs, by name. */
export type StepInputs = Record<string, StepInput<unknown>>

/** The values a step function receives for its declared inputs. */
export type InputValues<TInputs extends StepInputs> = {
  [K in keyof TInputs]: TInputs[K] extends StepInput<infer T> ? T : never
}

const MARKER: StepInput<unknown> = Object.freeze({ [INPUT]: true }) as unknown as StepInput<unknown>

/**
 * Declares a step input of type `T`; the step function's first parameter is typed from these.
 *
 * ```ts
 * step({ name: 'split', inputs: { dataset: input<Row[]>() } }, async ({ dataset }) => ...)
 * ```
 */
export function input<T>(): StepInput<T> {
  return MARKER as StepInput<T>
}

/** True for a value made by `input()`, from any copy of the SDK. */
export function isStepInput(value: unknown): value is StepInput<unknown> {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[INPUT] === true
}
