import { setTimeout as sleep } from 'node:timers/promises'
import { isStrataError, type Logger, StrataError } from '@strata/core'
import { type MlflowErrors, MlflowHttpError } from './mlflow-errors.js'

export type MlflowAuth =
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'bearer'; token: string }
  | { kind: 'none' }

export interface MlflowClientOptions {
  /** The server's base URL, without a trailing slash. */
  trackingUri: string
  auth: MlflowAuth
  insecureTls: boolean
  requestTimeoutMs: number
  maxRetries: number
  /** Delay before the first retry; doubles with each retry (with jitter), up to 10 s. @default 500 */
  retryDelayMs?: number
  errors: MlflowErrors
  logger: Logger
}

type FetchFunction = typeof globalThis.fetch

interface SendOptions {
  /** What the request does, for messages: `creating run 'train'`. */
  action: string
  body?: string | Blob | Uint8Array
  contentType?: string
}

const TLS_ERROR_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
])
const MAX_RETRY_DELAY_MS = 10_000
const BODY_EXCERPT = 1000

/** The `code` of a network error, wherever fetch put it. */
function networkCode(error: unknown): string | undefined {
  let current: unknown = error
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string') return code
    current = (current as { cause?: unknown }).cause
  }
  return undefined
}

function isTimeout(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error.name === 'TimeoutError' || networkCode(error) === 'UND_ERR_CONNECT_TIMEOUT')
  )
}

function parseErrorBody(text: string): { errorCode?: string; message?: string } {
  try {
    const parsed = JSON.parse(text) as { error_code?: unknown; message?: unknown }
    return {
      ...(typeof parsed.error_code === 'string' ? { errorCode: parsed.error_code } : {}),
      ...(typeof parsed.message === 'string' ? { message: parsed.message } : {}),
    }
  } catch {
    return {}
  }
}

/**
 * MLflow's REST API over `fetch`: authentication, a timeout on every request, retries with backoff for
 * transient failures (network errors, timeouts, HTTP 429 and 5xx), and every failure turned into a
 * `StrataError` that names the component and the fix.
 */
export class MlflowClient {
  readonly trackingUri: string
  readonly #options: MlflowClientOptions
  readonly #headers: Record<string, string>
  #fetch: Promise<{ fetch: FetchFunction; close?: () => Promise<void> }> | undefined

  constructor(options: MlflowClientOptions) {
    this.#options = options
    this.trackingUri = options.trackingUri
    this.#headers = {}
    if (options.auth.kind === 'basic') {
      const encoded = Buffer.from(`${options.auth.username}:${options.auth.password}`).toString('base64')
      this.#headers['authorization'] = `Basic ${encoded}`
    } else if (options.auth.kind === 'bearer') {
      this.#headers['authorization'] = `Bearer ${options.auth.token}`
    }
  }

  /** Calls `GET /api/2.0/mlflow/<endpoint>?<query>` and parses the JSON answer. */
  async get<T>(endpoint: string, query: Record<string, string>, action: string): Promise<T> {
    const url = `${this.trackingUri}/api/2.0/mlflow/${endpoint}?${new URLSearchParams(query)}`
    return this.#json<T>('GET', url, { action })
  }

  /** Calls `POST /api/2.0/mlflow/<endpoint>` with a JSON body and parses the JSON answer. */
  async post<T>(endpoint: string, body: unknown, action: string): Promise<T> {
    const url = `${this.trackingUri}/api/2.0/mlflow/${endpoint}`
    return this.#json<T>('POST', url, {
      action,
      body: JSON.stringify(body),
      contentType: 'application/json',
    })
  }

  /** Uploads through MLflow's artifact proxy: `PUT /api/2.0/mlflow-artifacts/artifacts/<path>`. */
  async putArtifact(path: string, body: Blob | Uint8Array, action: string): Promise<void> {
    const encoded = path.split('/').map(encodeURIComponent).join('/')
    const url = `${this.trackingUri}/api/2.0/mlflow-artifacts/artifacts/${encoded}`
    await this.#send('PUT', url, { action, body, contentType: 'application/octet-stream' })
  }

  async close(): Promise<void> {
    const transport = await this.#fetch
    this.#fetch = undefined
    await transport?.close?.()
  }

  async #json<T>(method: string, url: string, options: SendOptions): Promise<T> {
    const { text, attempts } = await this.#send(method, url, options)
    try {
      return (text === '' ? {} : JSON.parse(text)) as T
    } catch (error) {
      throw this.#options.errors.create(
        'MLFLOW_REQUEST_FAILED',
        `${options.action} failed: ${this.trackingUri} answered with something that is not JSON`,
        'check that trackingUri is the URL of an MLflow tracking server (not of a proxy or login page)',
        { cause: this.#httpError('not JSON', { method, url, body: text, attempts }, error) },
      )
    }
  }

  /** Sends one request, retrying transient failures; resolves with the body of a 2xx answer. */
  async #send(
    method: string,
    url: string,
    options: SendOptions,
  ): Promise<{ text: string; attempts: number }> {
    const { fetch } = await this.#transport()
    const headers = {
      ...this.#headers,
      ...(options.contentType ? { 'content-type': options.contentType } : {}),
    }
    const maxAttempts = this.#options.maxRetries + 1
    let lastFailure: StrataError | undefined
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      let retryAfterMs: number | undefined
      try {
        const signal = AbortSignal.timeout(this.#options.requestTimeoutMs)
        const response = await fetch(url, {
          method,
          headers,
          ...(options.body === undefined ? {} : { body: options.body }),
          signal,
        })
        const text = await response.text()
        if (response.ok) return { text, attempts: attempt }
        const failure = this.#httpFailure(method, url, response.status, text, attempt, options.action)
        if (response.status !== 429 && response.status < 500) throw failure
        lastFailure = failure
        retryAfterMs = Number(response.headers.get('retry-after')) * 1000 || undefined
      } catch (error) {
        if (isStrataError(error)) throw error
        const failure = this.#networkFailure(method, url, error, attempt, options.action)
        if (failure.code === 'MLFLOW_TLS_ERROR') throw failure
        lastFailure = failure
      }
      if (attempt < maxAttempts) {
        const base = (this.#options.retryDelayMs ?? 500) * 2 ** (attempt - 1)
        const delay = Math.min(retryAfterMs ?? base * (0.75 + Math.random() / 2), MAX_RETRY_DELAY_MS)
        this.#options.logger.debug('mlflow request failed, retrying', {
          action: options.action,
          attempt,
          delayMs: Math.round(delay),
          reason: lastFailure.message,
        })
        await sleep(delay)
      }
    }
    // The config schema keeps maxRetries ≥ 0, so at least one attempt ran and failed to get here.
    throw (
      lastFailure ??
      new StrataError(
        'MLFLOW_REQUEST_FAILED',
        `${options.action}: no request was sent — set maxRetries to 0 or more`,
      )
    )
  }

  async #transport(): Promise<{ fetch: FetchFunction; close?: () => Promise<void> }> {
    this.#fetch ??= this.#options.insecureTls
      ? import('undici').then(({ Agent, fetch }) => {
          // Only this client's connections skip verification; the process's other TLS stays untouched.
          const dispatcher = new Agent({ connect: { rejectUnauthorized: false } })
          const insecureFetch = ((input: string, init?: RequestInit) =>
            fetch(input, { ...(init as object), dispatcher })) as unknown as FetchFunction
          return { fetch: insecureFetch, close: () => dispatcher.close() }
        })
      : Promise.resolve({ fetch: globalThis.fetch })
    return this.#fetch
  }

  #httpError(message: string, details: MlflowHttpError['details'], cause?: unknown): MlflowHttpError {
    const errors = this.#options.errors
    const body = details.body === undefined ? undefined : errors.redact(details.body.slice(0, BODY_EXCERPT))
    return new MlflowHttpError(
      errors.redact(message),
      { ...details, ...(body === undefined ? {} : { body }) },
      cause === undefined ? undefined : { cause },
    )
  }

  #httpFailure(
    method: string,
    url: string,
    status: number,
    text: string,
    attempts: number,
    action: string,
  ): StrataError {
    const errors = this.#options.errors
    const { errorCode, message } = parseErrorBody(text)
    const cause = this.#httpError(
      `HTTP ${status}${errorCode ? ` ${errorCode}` : ''}${message ? `: ${message}` : ''}`,
      { method, url, status, ...(errorCode ? { errorCode } : {}), body: text, attempts },
    )
    const details = { status, ...(errorCode ? { mlflowErrorCode: errorCode } : {}) }
    const auth = this.#options.auth.kind
    if (status === 401) {
      return errors.create(
        'MLFLOW_AUTH_FAILED',
        auth === 'none'
          ? `${action} failed: the server requires authentication (HTTP 401) and no credentials are configured`
          : `${action} failed: the server refused the configured ${auth === 'basic' ? 'username and password' : 'token'} (HTTP 401)`,
        'set username and password (or token) in the component config, or the MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (or MLFLOW_TRACKING_TOKEN) variables, to credentials the server accepts',
        { cause, details },
      )
    }
    if (status === 403) {
      return errors.create(
        'MLFLOW_PERMISSION_DENIED',
        `${action} failed: the server denied permission (HTTP 403)`,
        "grant the configured MLflow user permission on the experiment (MLflow's permissions API or UI), or use an account that has it",
        { cause, details },
      )
    }
    if (errorCode === undefined) {
      return errors.create(
        'MLFLOW_REQUEST_FAILED',
        `${action} failed: ${method} ${new URL(url).pathname} answered HTTP ${status}${status >= 500 ? ` after ${attempts} attempt(s)` : ''}`,
        status === 404 || status === 405
          ? 'check that trackingUri is the base URL of an MLflow tracking server (2.x or 3.x)'
          : "check the MLflow server's logs",
        { cause, details },
      )
    }
    return errors.create(
      'MLFLOW_REQUEST_FAILED',
      `${action} failed: MLflow answered ${errorCode} (HTTP ${status}${status >= 500 ? `, after ${attempts} attempt(s)` : ''}): ${(message ?? '').slice(0, 300)}`,
      status >= 500 ? "check the MLflow server's logs" : 'fix what MLflow names above',
      { cause, details },
    )
  }

  #networkFailure(
    method: string,
    url: string,
    error: unknown,
    attempts: number,
    action: string,
  ): StrataError {
    const errors = this.#options.errors
    const code = networkCode(error)
    const cause = this.#httpError(
      `${method} ${url}: ${code ?? (error instanceof Error ? error.message : String(error))}`,
      { method, url, attempts },
      error,
    )
    if (isTimeout(error)) {
      return errors.create(
        'MLFLOW_TIMEOUT',
        `${action} failed: no answer within ${this.#options.requestTimeoutMs} ms (${attempts} attempt(s))`,
        'check that the MLflow server is healthy and reachable from here, or raise requestTimeoutMs',
        { cause },
      )
    }
    if (code !== undefined && TLS_ERROR_CODES.has(code)) {
      return errors.create(
        'MLFLOW_TLS_ERROR',
        `${action} failed: the TLS connection was refused (${code})`,
        code === 'ERR_SSL_WRONG_VERSION_NUMBER'
          ? 'the server may not speak TLS: try an http:// trackingUri'
          : "trust the server's CA with NODE_EXTRA_CA_CERTS, or set insecureTls: true (not in production)",
        { cause },
      )
    }
    return errors.create(
      'MLFLOW_UNREACHABLE',
      `${action} failed: cannot reach the server (${code ?? 'network error'}, ${attempts} attempt(s))`,
      'check that the MLflow server is running and that trackingUri is right',
      { cause },
    )
  }
}
