const STRATA_ERROR = Symbol.for('strata.error')

/** The error codes Strata itself raises. Plugins may use their own UPPER_SNAKE codes too. */
export type StrataErrorCode =
  | 'INVALID_CONFIG'
  | 'UNKNOWN_FLAVOR'
  | 'FLAVOR_CONFLICT'
  | 'UNSUPPORTED_API_VERSION'
  | 'INVALID_FLAVOR'
  | 'INVALID_PLUGIN'
  | 'PLUGIN_LOAD_FAILED'
  | 'INVALID_MANIFEST'
  | 'INVALID_STACK'
  | 'SECRET_REFERENCE_NOT_ALLOWED'
  | 'INVALID_SECRET_REFERENCE'
  | 'SECRET_NOT_FOUND'
  | 'ARTIFACT_NOT_FOUND'
  | 'INVALID_ARTIFACT_KEY'
  | 'ARTIFACT_STORE_ERROR'
  | 'NODE_VERSION'
  | (string & {})

export interface StrataErrorOptions {
  cause?: unknown
  /** Structured details for machine consumers (`--output json`). Never put secret values here. */
  details?: Record<string, unknown>
}

/**
 * The one error base class. `message` says what failed and ends with how to fix it.
 *
 * Recognised across duplicate copies of `@strata/core` through a `Symbol.for` brand:
 * use {@link isStrataError} rather than `instanceof` when the error may come from plugin code.
 */
export class StrataError extends Error {
  readonly code: StrataErrorCode
  readonly details: Record<string, unknown> | undefined

  constructor(code: StrataErrorCode, message: string, options: StrataErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'StrataError'
    this.code = code
    this.details = options.details
    Object.defineProperty(this, STRATA_ERROR, { value: true })
  }

  /** `instanceof StrataError` holds across module copies; subclasses keep the ordinary prototype check. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class `instanceof` was asked about
    if (this === StrataError) return isStrataError(value)
    // biome-ignore lint/complexity/noThisInStatic: see above
    return Function.prototype[Symbol.hasInstance].call(this, value)
  }
}

/** True for any `StrataError`, including ones thrown by another copy of `@strata/core`. */
export function isStrataError(value: unknown): value is StrataError {
  return (
    typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[STRATA_ERROR] === true
  )
}

/** The message of any thrown value, for wrapping vendor errors. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message
  return String(error)
}
