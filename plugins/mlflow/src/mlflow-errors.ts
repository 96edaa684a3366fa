import { isStrataError, MASK, StrataError } from '@strata/core'

/** Error codes this plugin raises (besides core's `INVALID_CONFIG`). */
export type MlflowErrorCode =
  | 'MLFLOW_UNREACHABLE'
  | 'MLFLOW_TIMEOUT'
  | 'MLFLOW_TLS_ERROR'
  | 'MLFLOW_AUTH_FAILED'
  | 'MLFLOW_PERMISSION_DENIED'
  | 'MLFLOW_EXPERIMENT_DELETED'
  | 'MLFLOW_RUN_DELETED'
  | 'MLFLOW_LIMIT_EXCEEDED'
  | 'MLFLOW_INVALID_VALUE'
  | 'MLFLOW_PARAM_CHANGED'
  | 'MLFLOW_REQUEST_FAILED'
  | 'MLFLOW_INVALID_STATE'
  | 'MLFLOW_RUN_ENDED'
  | 'MLFLOW_ARTIFACTS_NOT_PROXIED'
  | 'MLFLOW_ARTIFACT_READ_FAILED'

export interface MlflowHttpErrorDetails {
  method: string
  /** The request's URL (tracking URIs never carry credentials: the config refuses them). */
  url: string
  status?: number
  /** MLflow's `error_code`, e.g. `RESOURCE_DOES_NOT_EXIST`. */
  errorCode?: string
  /** The start of MLflow's answer. */
  body?: string
  attempts: number
}

/**
 * What went wrong on the wire, kept as a `StrataError`'s `cause`: the request (method and URL, never
 * headers) and MLflow's answer, scrubbed of the component's secret values.
 */
export class MlflowHttpError extends Error {
  readonly details: MlflowHttpErrorDetails

  constructor(message: string, details: MlflowHttpErrorDetails, options?: ErrorOptions) {
    super(message, options)
    this.name = 'MlflowHttpError'
    this.details = details
  }
}

/** Replaces every occurrence of the given secret values with `********`. */
function redact(text: string, secrets: readonly string[]): string {
  let result = text
  for (const value of secrets) if (value.length > 0) result = result.replaceAll(value, MASK)
  return result
}

/**
 * Builds the plugin's errors: the component first, what failed, then the fix, scrubbed of secret values.
 * `subject` reads like `experiment_tracker 'tracking' (MLflow at https://mlflow.example.com)`.
 */
/**
 * MLflow's answer when logging to, or creating a run in, a deleted target (a deleted run, or one in a deleted
 * experiment): the request failed because the target is not in the 'active' state.
 */
export function isInactiveTarget(error: unknown): error is StrataError {
  return isStrataError(error) && /must be in the 'active' state/.test(String((error.cause as Error)?.message))
}

export class MlflowErrors {
  readonly subject: string
  readonly #secrets: readonly string[]

  constructor(subject: string, secrets: readonly string[]) {
    this.subject = subject
    this.#secrets = secrets
  }

  create(
    code: MlflowErrorCode,
    what: string,
    fix: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ): StrataError {
    return new StrataError(code, this.redact(`${this.subject}: ${what} — ${fix}`), options)
  }

  redact(text: string): string {
    return redact(text, this.#secrets)
  }
}
