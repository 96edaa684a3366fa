import { errorMessage, isStrataError, redactError, redactText, StrataError } from '@strata/core'

/** What an error message needs to name the store; `secrets` are scrubbed from everything it carries. */
export interface GcsStoreIdentity {
  /** `artifact store 'name' (gs://bucket/prefix)` */
  label: string
  bucket: string
  /** The configured API endpoint, or Cloud Storage's. */
  endpoint: string
  secrets: readonly string[]
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
])

interface VendorError {
  name?: string
  code?: unknown
  status?: unknown
  cause?: unknown
  errors?: unknown[]
  response?: { status?: unknown }
}

/** The HTTP status of an `ApiError`/`GaxiosError`, when the server answered. */
export function httpStatus(error: unknown): number | undefined {
  const vendor = error as VendorError | undefined
  for (const value of [vendor?.code, vendor?.status, vendor?.response?.status]) {
    if (typeof value === 'number') return value
    if (typeof value === 'string' && /^\d{3}$/.test(value)) return Number(value)
  }
  return undefined
}

/** The first Node system error code (`ECONNREFUSED`) in an error, its `cause`s and aggregated errors. */
export function systemErrorCode(error: unknown, depth = 0): string | undefined {
  if (depth > 5 || typeof error !== 'object' || error === null) return undefined
  const vendor = error as VendorError
  if (typeof vendor.code === 'string' && /^E[A-Z_]+$|^UND_ERR/.test(vendor.code)) return vendor.code
  return (
    systemErrorCode(vendor.cause, depth + 1) ??
    (Array.isArray(vendor.errors) ? systemErrorCode(vendor.errors[0], depth + 1) : undefined)
  )
}

function isAbort(error: unknown): boolean {
  return (error as VendorError | undefined)?.name === 'AbortError'
}

/** The error a store throws when its bucket does not exist. */
export function bucketNotFound(identity: GcsStoreIdentity, cause?: unknown): StrataError {
  return new StrataError(
    'ARTIFACT_STORE_BUCKET_NOT_FOUND',
    `${identity.label}: bucket '${identity.bucket}' does not exist at ${identity.endpoint} — create it (e.g. 'gcloud storage buckets create gs://${identity.bucket}') or fix the component's 'path'`,
    { cause: redactError(cause, identity.secrets), details: { bucket: identity.bucket } },
  )
}

/**
 * Turns a `@google-cloud/storage` (or network, or auth library) failure into a `StrataError` naming the
 * store, the bucket and the likely fix, with the vendor error — scrubbed of secret values — as `cause`.
 */
export function gcsFailure(
  error: unknown,
  identity: GcsStoreIdentity,
  operation: string,
  key?: string,
): StrataError {
  if (isStrataError(error)) return error
  const cause = redactError(error, identity.secrets)
  const status = httpStatus(cause)
  const what = key === undefined ? operation : `${operation} '${key}'`
  const details = { bucket: identity.bucket, operation, ...(key === undefined ? {} : { key }) }
  const vendorText = redactText(errorMessage(cause), identity.secrets)
  const fail = (code: string, message: string): StrataError =>
    new StrataError(code, `${identity.label}: ${message}`, { cause, details })

  if (isAbort(cause))
    return fail('ARTIFACT_STORE_ABORTED', `${what} was aborted — nothing was stored; retry if needed`)
  if (/could not load the default credentials|unable to detect a project id/i.test(vendorText)) {
    return fail(
      'ARTIFACT_STORE_CREDENTIALS_MISSING',
      `${what} in bucket '${identity.bucket}': no Google Cloud credentials found — set 'serviceAccountKey' (e.g. as a {{secret.key}} reference) or set up application default credentials (GOOGLE_APPLICATION_CREDENTIALS, 'gcloud auth application-default login')`,
    )
  }
  if (
    status === 401 ||
    /invalid_grant|invalid_client|unauthorized_client|invalid credentials/i.test(vendorText)
  ) {
    return fail(
      'ARTIFACT_STORE_CREDENTIALS_REJECTED',
      `${what} in bucket '${identity.bucket}': ${identity.endpoint} rejected the credentials — check 'serviceAccountKey' (or the secret it references; the key may be deleted or disabled) or the application default credentials`,
    )
  }
  if (status === 403) {
    return fail(
      'ARTIFACT_STORE_ACCESS_DENIED',
      `${what} in bucket '${identity.bucket}': access denied (${vendorText}) — grant the credentials' service account roles/storage.objectAdmin on the bucket, or use other credentials`,
    )
  }
  if (/offset is lower than the number of bytes written|initiate a new upload/i.test(vendorText)) {
    return fail(
      'ARTIFACT_STORE_UPLOAD_INTERRUPTED',
      `${what} in bucket '${identity.bucket}': ${identity.endpoint} lost the resumable upload session midway (a restart or a broken connection) — nothing was stored; write the artifact again`,
    )
  }
  const network = systemErrorCode(cause)
  if (
    (network !== undefined && NETWORK_CODES.has(network)) ||
    /timeout/i.test(cause instanceof Error ? cause.name : '')
  ) {
    return fail(
      'ARTIFACT_STORE_UNREACHABLE',
      `${what} in bucket '${identity.bucket}': cannot reach ${identity.endpoint} (${network ?? vendorText}) — check 'apiEndpoint', that the server is running and that this machine can reach it`,
    )
  }
  return fail(
    'ARTIFACT_STORE_ERROR',
    `${what} in bucket '${identity.bucket}' failed: ${vendorText}${status ? ` (HTTP ${status})` : ''} — check the store's configuration and that ${identity.endpoint} is healthy`,
  )
}
