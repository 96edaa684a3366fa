/** A bucket store's root: the bucket and the key prefix every artifact key is placed under. */
export interface BucketPath {
  /** `s3`, `gs`, ... */
  scheme: string
  bucket: string
  /** `''` or a prefix without leading or trailing `/`, e.g. `team/strata`. */
  prefix: string
}

/** What a vendor accepts as a bucket name. */
export interface BucketNameRule {
  /** The service, for messages: `S3`, `Cloud Storage`. */
  service: string
  test(bucket: string): boolean
  /** The rule in words, for messages: `3-63 lower-case letters, digits, '.' and '-'`. */
  description: string
}

/**
 * Parses `<scheme>://bucket[/prefix]`, or says what is wrong with it (for a config schema's message).
 * A trailing `/` is dropped; empty, `.` and `..` prefix segments are refused.
 */
export function parseBucketPath(path: string, scheme: string, rule: BucketNameRule): BucketPath | string {
  const start = `${scheme}://`
  if (!path.startsWith(start)) return `must start with ${start}, e.g. '${start}my-bucket/strata'`
  const rest = path.slice(start.length).replace(/\/+$/, '')
  const slash = rest.indexOf('/')
  const bucket = slash === -1 ? rest : rest.slice(0, slash)
  const prefix = slash === -1 ? '' : rest.slice(slash + 1)
  if (!rule.test(bucket)) {
    return `bucket name '${bucket}' is not a valid ${rule.service} bucket name (${rule.description}) — write ${start}<bucket>/<prefix>`
  }
  if (
    prefix !== '' &&
    prefix.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')
  ) {
    return `prefix '${prefix}' has an empty, '.' or '..' segment — write ${start}<bucket>/<prefix> with '/'-separated names`
  }
  return { scheme, bucket, prefix }
}

/** `s3://bucket/prefix` without a trailing slash: the store's identity in cache keys and run URIs. */
export function formatBucketUri(path: BucketPath): string {
  const root = `${path.scheme}://${path.bucket}`
  return path.prefix === '' ? root : `${root}/${path.prefix}`
}

/** The object key of an artifact key under the store's prefix; `bucketObjectKey(path, '')` is the prefix. */
export function bucketObjectKey(path: BucketPath, key: string): string {
  return path.prefix === '' ? key : `${path.prefix}/${key}`
}
