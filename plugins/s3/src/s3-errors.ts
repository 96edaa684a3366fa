import type { VendorErrorMapping } from '@strata/core'

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

interface VendorError {
  name?: string
  Code?: string
  $metadata?: { httpStatusCode?: number }
}

/** The S3 error code (`NoSuchBucket`) of an AWS SDK error, or its name. */
function s3Code(error: unknown): string {
  const vendor = error as VendorError | undefined
  return vendor?.Code ?? vendor?.name ?? ''
}

/** True for the SDK's "no such key" answers (GetObject's `NoSuchKey`, HeadObject's bodiless 404). */
export function isMissingKey(error: unknown): boolean {
  const code = s3Code(error)
  return (
    code === 'NoSuchKey' ||
    code === 'NotFound' ||
    (code !== 'NoSuchBucket' && (error as VendorError | undefined)?.$metadata?.httpStatusCode === 404)
  )
}

export function isMissingBucket(error: unknown): boolean {
  return s3Code(error) === 'NoSuchBucket'
}

/** How AWS SDK (and S3-compatible servers') failures read: see `mapBucketStoreError` in `@strata/core`. */
export const S3_ERRORS: VendorErrorMapping = {
  createBucketCommand: (bucket) => `aws s3 mb s3://${bucket}`,
  endpointFields: "'endpoint'/'region'",
  classify(failure) {
    const code = s3Code(failure.cause)
    const { whatInBucket, identity } = failure
    if (code === 'NoSuchBucket') return failure.bucketNotFound()
    if (CREDENTIAL_CODES.has(code)) {
      return failure.fail(
        'ARTIFACT_STORE_CREDENTIALS_REJECTED',
        `${whatInBucket}: ${identity.endpoint} rejected the credentials (${code}) — check 'accessKeyId' and 'secretAccessKey' (or the secrets they reference), or the AWS profile/environment of the default credential chain`,
      )
    }
    if (code === 'CredentialsProviderError') {
      return failure.fail(
        'ARTIFACT_STORE_CREDENTIALS_MISSING',
        `${whatInBucket}: no AWS credentials found — set 'accessKeyId' and 'secretAccessKey' (e.g. as {{secret.key}} references) or configure the default chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, an instance role)`,
      )
    }
    if (REGION_CODES.has(code) || /region is missing/i.test(failure.text)) {
      return failure.fail(
        'ARTIFACT_STORE_WRONG_REGION',
        `${whatInBucket} failed (${code || failure.text}) — set 'region' to the bucket's region (or AWS_REGION)`,
      )
    }
    const status = (failure.cause as VendorError | undefined)?.$metadata?.httpStatusCode
    if (code === 'AccessDenied' || code === 'AllAccessDisabled' || status === 403) {
      return failure.fail(
        'ARTIFACT_STORE_ACCESS_DENIED',
        `${whatInBucket}: access denied${code === 'AccessDenied' ? '' : ` (${code || 403})`} — grant these credentials s3:ListBucket on the bucket and s3:GetObject, s3:PutObject, s3:DeleteObject, s3:AbortMultipartUpload on its objects, or use other credentials`,
      )
    }
    if (code === 'TimeoutError' || code === 'RequestTimeout')
      return failure.unreachable(failure.systemCode ?? code)
    return undefined
  },
  detail(failure) {
    const code = s3Code(failure.cause)
    return code && !failure.text.includes(code) ? code : undefined
  },
}
