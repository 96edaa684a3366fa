import { StrataError } from '@strata/core'

declare const VALUE_TYPE: unique symbol

const HANDLE = Symbol.for('strata.handle')
const INVOCATION = Symbol.for('strata.invocation')

/**
 * An input a step can receive inside a pipeline body: another step's output or an existing artifact
 * version. Typed by the value it carries. Not a promise: `await` on it is a type error.
 */
export interface InputHandle<T> {
  /** Phantom: carries the value's type; absent at run time. */
  readonly [VALUE_TYPE]: T
  /** Declared so that `await handle` is a compile error (TS1320); handles have no `then` at run time. */
  then(never: never, notAPromise: 'a handle is not a promise: pass it to a step instead'): void
}

/** A step output inside a pipeline body. */
export interface OutputHandle<T> extends InputHandle<T> {
  /** The producing invocation's id. */
  readonly step: string
  readonly output: string
}

/** An existing artifact version used as an input: `artifact<Row[]>('dataset', { version: 3 })`. */
export interface ArtifactHandle<T> extends InputHandle<T> {
  readonly artifactName: string
  readonly version: number | undefined
}

/** The runtime shape behind handles (types are phantom). */
export type RuntimeHandle =
  | { kind: 'output'; step: string; output: string; compilation: object }
  | { kind: 'artifact'; artifactName: string; version: number | undefined }

export function outputHandle(step: string, output: string, compilation: object): object {
  return Object.freeze({
    [HANDLE]: { kind: 'output', step, output, compilation } satisfies RuntimeHandle,
    step,
    output,
  })
}

/**
 * An existing artifact version as a step input. Its content digest is part of the consuming step's
 * cache key.
 * @param version a version number; the newest version when omitted (resolved when the run starts)
 */
export function artifact<T = unknown>(name: string, options: { version?: number } = {}): ArtifactHandle<T> {
  if (typeof name !== 'string' || name === '') {
    throw new StrataError(
      'INVALID_ARTIFACT_REFERENCE',
      `artifact() needs an artifact name — e.g. artifact('dataset', { version: 3 })`,
    )
  }
  const handle: RuntimeHandle = { kind: 'artifact', artifactName: name, version: options.version }
  return Object.freeze({
    [HANDLE]: handle,
    artifactName: name,
    version: options.version,
  }) as unknown as ArtifactHandle<T>
}

export function runtimeHandle(value: unknown): RuntimeHandle | undefined {
  return typeof value === 'object' && value !== null
    ? ((value as Record<symbol, RuntimeHandle>)[HANDLE] ?? undefined)
    : undefined
}

/** What calling a step returns besides its handles: usable in `after:`. */
export interface StepInvocation {
  readonly [INVOCATION]: string
}

export function markInvocation<T extends object>(value: T, id: string): T & StepInvocation {
  Object.defineProperty(value, INVOCATION, { value: id, enumerable: false })
  return value as T & StepInvocation
}

/** The invocation id behind an `after:` entry: a handle, a step call's result, or an id. */
export function invocationIdOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value
  const handle = runtimeHandle(value)
  if (handle?.kind === 'output') return handle.step
  if (typeof value === 'object' && value !== null) return (value as Record<symbol, string>)[INVOCATION]
  return undefined
}
