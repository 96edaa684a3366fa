import { describe, expect, it } from 'vitest'
import { bucketObjectKey, formatBucketUri, parseBucketPath } from './bucket-path.js'

const rule = {
  service: 'X',
  description: 'lower-case letters',
  test: (bucket: string) => /^[a-z]{3,}$/.test(bucket),
}

describe('parseBucketPath', () => {
  it('splits the bucket from the prefix and drops a trailing slash', () => {
    expect(parseBucketPath('x://bucket/team/strata/', 'x', rule)).toEqual({
      scheme: 'x',
      bucket: 'bucket',
      prefix: 'team/strata',
    })
    expect(parseBucketPath('x://bucket', 'x', rule)).toEqual({ scheme: 'x', bucket: 'bucket', prefix: '' })
  })

  it('says what is wrong, with an example', () => {
    expect(parseBucketPath('bucket/p', 'x', rule)).toBe("must start with x://, e.g. 'x://my-bucket/strata'")
    expect(parseBucketPath('x://B/p', 'x', rule)).toBe(
      "bucket name 'B' is not a valid X bucket name (lower-case letters) — write x://<bucket>/<prefix>",
    )
    expect(parseBucketPath('x://bucket/a//b', 'x', rule)).toMatch(
      /prefix 'a\/\/b' has an empty, '\.' or '\.\.' segment/,
    )
    expect(parseBucketPath('x://bucket/a/../b', 'x', rule)).toMatch(/segment/)
  })
})

describe('formatBucketUri and bucketObjectKey', () => {
  it('place keys under the prefix, or at the root without one', () => {
    const root = { scheme: 'x', bucket: 'bucket', prefix: 'p/q' }
    expect(formatBucketUri(root)).toBe('x://bucket/p/q')
    expect(bucketObjectKey(root, 'a/b')).toBe('p/q/a/b')
    expect(bucketObjectKey(root, '')).toBe('p/q/')
    const bare = { ...root, prefix: '' }
    expect(formatBucketUri(bare)).toBe('x://bucket')
    expect(bucketObjectKey(bare, 'a/b')).toBe('a/b')
  })
})
