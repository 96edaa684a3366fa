/** A store's root: the bucket and the key prefix every artifact key is placed under. */
export interface BucketPath {
  bucket: string
  /** `''` or a prefix without leading or trailing `/`, e.g. `team/strata`. */
  prefix: string
}

const S3_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/

/**
 * Parses `s3://bucket[/prefix]`, or says what is wrong with it (for the config schema's message).
 * A trailing `/` is dropped; empty, `.` and `..` prefix segments are refused.
 */
export function parseS3Path(path: string): BucketPath | string {
  const scheme = 's3://'
  if (!path.startsWith(scheme)) return `must start with ${scheme}, e.g. 's3://my-bucket/strata'`
  const rest = path.slice(scheme.length).replace(/\/+$/, '')
  const slash = rest.indexOf('/')
  const bucket = slash === -1 ? rest : rest.slice(0, slash)
  const prefix = slash === -1 ? '' : rest.slice(slash + 1)
  if (!S3_BUCKET.test(bucket)) {
    return `bucket name '${bucket}' is not a valid S3 bucket name (3-63 lower-case letters, digits, '.' and '-') — write s3://<bucket>/<prefix>`
  }
  if (
    prefix !== '' &&
    prefix.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')
  ) {
    return `prefix '${prefix}' has an empty, '.' or '..' segment — write s3://<bucket>/<prefix> with '/'-separated names`
  }
  return { bucket, prefix }
}

/** `s3://bucket/prefix` without a trailing slash: the store's identity in cache keys and run URIs. */
export function formatBucketUri(scheme: string, path: BucketPath): string {
  return path.prefix === '' ? `${scheme}://${path.bucket}` : `${scheme}://${path.bucket}/${path.prefix}`
}
