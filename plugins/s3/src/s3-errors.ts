import { errorMessage, isStrataError, redactError, redactText, StrataError } from '@strata/core'

/** What an error message needs to name the store; `secrets` are scrubbed from everything it carries. */
export interface S3StoreIdentity {
  /** `artifact store 'name' (s3://bucket/prefix)` */
  label: string
  bucket: string
  /** The configured endpoint, or a description of AWS S3's. */
  endpoint: string
  secrets: readonly string[]
}

const CREDENTIAL_CODES = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'InvalidToken',
  'ExpiredToken',
  'TokenRefreshRequired',
  'InvalidClientTokenId',
])
const REGION_CODES = new Set([
  'PermanentRedirect',
  'AuthorizationHeaderMalformed',
  'IllegalLocationConstraintException',
])
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
])

interface VendorError {
  name?: string
  Code?: string
  code?: unknown
  cause?: unknown
  errors?: unknown[]
  $metadata?: { httpStatusCode?: number }
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

/** True for the SDK's "no such key" answers (GetObject's `NoSuchKey`, HeadObject's bodiless 404). */
export function isMissingKey(error: unknown): boolean {
  const vendor = error as VendorError
  const code = vendor?.Code ?? vendor?.name
  return (
    code === 'NoSuchKey' ||
    code === 'NotFound' ||
    (code !== 'NoSuchBucket' && vendor?.$metadata?.httpStatusCode === 404)
  )
}

export function isMissingBucket(error: unknown): boolean {
  const vendor = error as VendorError
  return (vendor?.Code ?? vendor?.name) === 'NoSuchBucket'
}

function isAbort(error: unknown): boolean {
  const name = (error as VendorError)?.name
  return name === 'AbortError' || (error instanceof DOMException && error.name === 'AbortError')
}

/** The error a store throws when its bucket does not exist. */
export function bucketNotFound(identity: S3StoreIdentity, cause?: unknown): StrataError {
  return new StrataError(
    'ARTIFACT_STORE_BUCKET_NOT_FOUND',
    `${identity.label}: bucket '${identity.bucket}' does not exist at ${identity.endpoint} — create it (e.g. 'aws s3 mb s3://${identity.bucket}') or fix the component's 'path'`,
    { cause: redactError(cause, identity.secrets), details: { bucket: identity.bucket } },
  )
}

/**
 * Turns an AWS SDK (or network) failure into a `StrataError` naming the store, the bucket and the likely
 * fix, with the vendor error — scrubbed of secret values — as `cause`.
 */
export function s3Failure(
  error: unknown,
  identity: S3StoreIdentity,
  operation: string,
  key?: string,
): StrataError {
  if (isStrataError(error)) return error
  const cause = redactError(error, identity.secrets)
  const vendor = (typeof cause === 'object' && cause !== null ? cause : {}) as VendorError
  const code = vendor.Code ?? vendor.name ?? ''
  const status = vendor.$metadata?.httpStatusCode
  const what = key === undefined ? operation : `${operation} '${key}'`
  const details = { bucket: identity.bucket, operation, ...(key === undefined ? {} : { key }) }
  const vendorText = redactText(errorMessage(cause), identity.secrets)
  const fail = (errorCode: string, message: string): StrataError =>
    new StrataError(errorCode, `${identity.label}: ${message}`, { cause, details })

  if (isAbort(cause))
    return fail('ARTIFACT_STORE_ABORTED', `${what} was aborted — nothing was stored; retry if needed`)
  if (code === 'NoSuchBucket') return bucketNotFound(identity, cause)
  if (CREDENTIAL_CODES.has(code)) {
    return fail(
      'ARTIFACT_STORE_CREDENTIALS_REJECTED',
      `${what} in bucket '${identity.bucket}': ${identity.endpoint} rejected the credentials (${code}) — check 'accessKeyId' and 'secretAccessKey' (or the secrets they reference), or the AWS profile/environment of the default credential chain`,
    )
  }
  if (code === 'CredentialsProviderError') {
    return fail(
      'ARTIFACT_STORE_CREDENTIALS_MISSING',
      `${what} in bucket '${identity.bucket}': no AWS credentials found — set 'accessKeyId' and 'secretAccessKey' (e.g. as {{secret.key}} references) or configure the default chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, an instance role)`,
    )
  }
  if (REGION_CODES.has(code) || /region is missing/i.test(vendorText)) {
    return fail(
      'ARTIFACT_STORE_WRONG_REGION',
      `${what} in bucket '${identity.bucket}' failed (${code || vendorText}) — set 'region' to the bucket's region (or AWS_REGION)`,
    )
  }
  if (code === 'AccessDenied' || code === 'AllAccessDisabled' || status === 403) {
    return fail(
      'ARTIFACT_STORE_ACCESS_DENIED',
      `${what} in bucket '${identity.bucket}': access denied${code === 'AccessDenied' ? '' : ` (${code || 403})`} — grant these credentials s3:ListBucket on the bucket and s3:GetObject, s3:PutObject, s3:DeleteObject, s3:AbortMultipartUpload on its objects, or use other credentials`,
    )
  }
  const network = systemErrorCode(cause)
  if (
    (network !== undefined && NETWORK_CODES.has(network)) ||
    code === 'TimeoutError' ||
    code === 'RequestTimeout'
  ) {
    return fail(
      'ARTIFACT_STORE_UNREACHABLE',
      `${what} in bucket '${identity.bucket}': cannot reach ${identity.endpoint} (${network ?? code}) — check 'endpoint'/'region', that the server is running and that this machine can reach it`,
    )
  }
  return fail(
    'ARTIFACT_STORE_ERROR',
    `${what} in bucket '${identity.bucket}' failed: ${vendorText}${code && !vendorText.includes(code) ? ` (${code})` : ''} — check the store's configuration and that ${identity.endpoint} is healthy`,
  )
}
