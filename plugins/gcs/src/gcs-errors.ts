import {
  type BucketStoreIdentity,
  mapBucketStoreError,
  type StrataError,
  type VendorErrorMapping,
} from '@strata/core'

interface VendorError {
  code?: unknown
  status?: unknown
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

/**
 * How `@google-cloud/storage` (and auth library) failures read: see `mapBucketStoreError` in
 * `@strata/core`.
 */
export const GCS_ERRORS: VendorErrorMapping = {
  createBucketCommand: (bucket) => `gcloud storage buckets create gs://${bucket}`,
  endpointFields: "'apiEndpoint'",
  classify(failure) {
    const { whatInBucket, identity, text } = failure
    const status = httpStatus(failure.cause)
    if (/could not load the default credentials|unable to detect a project id/i.test(text)) {
      return failure.fail(
        'ARTIFACT_STORE_CREDENTIALS_MISSING',
        `${whatInBucket}: no Google Cloud credentials found — set 'serviceAccountKey' (e.g. as a {{secret.key}} reference) or set up application default credentials (GOOGLE_APPLICATION_CREDENTIALS, 'gcloud auth application-default login')`,
      )
    }
    if (
      status === 401 ||
      /invalid_grant|invalid_client|unauthorized_client|invalid credentials/i.test(text)
    ) {
      return failure.fail(
        'ARTIFACT_STORE_CREDENTIALS_REJECTED',
        `${whatInBucket}: ${identity.endpoint} rejected the credentials — check 'serviceAccountKey' (or the secret it references; the key may be deleted or disabled) or the application default credentials`,
      )
    }
    if (status === 403) {
      return failure.fail(
        'ARTIFACT_STORE_ACCESS_DENIED',
        `${whatInBucket}: access denied (${text}) — grant the credentials' service account roles/storage.objectAdmin on the bucket, or use other credentials`,
      )
    }
    if (/offset is lower than the number of bytes written|initiate a new upload/i.test(text)) {
      return failure.fail(
        'ARTIFACT_STORE_UPLOAD_INTERRUPTED',
        `${whatInBucket}: ${identity.endpoint} lost the resumable upload session midway (a restart or a broken connection) — nothing was stored; write the artifact again`,
      )
    }
    if (/timeout/i.test(failure.cause instanceof Error ? failure.cause.name : ''))
      return failure.unreachable(failure.systemCode ?? text)
    return undefined
  },
  detail(failure) {
    const status = httpStatus(failure.cause)
    return status ? `HTTP ${status}` : undefined
  },
}

/** Maps one failure outside a store (the store itself goes through `BucketStoreErrors`). */
export function gcsFailure(
  error: unknown,
  identity: BucketStoreIdentity,
  operation: string,
  key?: string,
): StrataError {
  return mapBucketStoreError(error, identity, GCS_ERRORS, operation, key)
}
