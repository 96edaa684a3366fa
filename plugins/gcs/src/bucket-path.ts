/** A store's root: the bucket and the key prefix every artifact key is placed under. */
export interface BucketPath {
  bucket: string
  /** `''` or a prefix without leading or trailing `/`, e.g. `team/strata`. */
  prefix: string
}

// Bucket names with dots may be up to 222 characters, in dot-separated parts of at most 63.
const GCS_BUCKET = /^(?=.{3,222}$)[a-z0-9](?:[a-z0-9_.-]*[a-z0-9])?$/

/**
 * Parses `gs://bucket[/prefix]`, or says what is wrong with it (for the config schema's message).
 * A trailing `/` is dropped; empty, `.` and `..` prefix segments are refused.
 */
export function parseGcsPath(path: string): BucketPath | string {
  const scheme = 'gs://'
  if (!path.startsWith(scheme)) return `must start with ${scheme}, e.g. 'gs://my-bucket/strata'`
  const rest = path.slice(scheme.length).replace(/\/+$/, '')
  const slash = rest.indexOf('/')
  const bucket = slash === -1 ? rest : rest.slice(0, slash)
  const prefix = slash === -1 ? '' : rest.slice(slash + 1)
  if (!GCS_BUCKET.test(bucket) || bucket.split('.').some((part) => part.length > 63)) {
    return `bucket name '${bucket}' is not a valid Cloud Storage bucket name (3-63 lower-case letters, digits, '-', '_' and '.') — write gs://<bucket>/<prefix>`
  }
  if (
    prefix !== '' &&
    prefix.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')
  ) {
    return `prefix '${prefix}' has an empty, '.' or '..' segment — write gs://<bucket>/<prefix> with '/'-separated names`
  }
  return { bucket, prefix }
}

/** `gs://bucket/prefix` without a trailing slash: the store's identity in cache keys and run URIs. */
export function formatBucketUri(scheme: string, path: BucketPath): string {
  return path.prefix === '' ? `${scheme}://${path.bucket}` : `${scheme}://${path.bucket}/${path.prefix}`
}
