import { describe, expect, it } from 'vitest'
import { bucketStore } from './fixtures.test-helpers.js'
import {
  findControlCharacter,
  flavorConfigJsonSchema,
  isStrataError,
  MASK,
  maskConfig,
  parseFlavorConfig,
  resolveConfigSecrets,
  type StrataError,
  secretReferencesOf,
} from './index.js'

function errorOf(fn: () => unknown): StrataError {
  try {
    fn()
  } catch (error) {
    if (isStrataError(error)) return error
    throw error
  }
  throw new Error('expected a StrataError')
}

describe('parseFlavorConfig', () => {
  it('applies defaults and accepts references on secret fields', () => {
    const config = parseFlavorConfig(bucketStore, { path: 's3://b/x', secretAccessKey: '{{aws.secret_key}}' })
    expect(config).toEqual({ path: 's3://b/x', region: 'us-east-1', secretAccessKey: '{{aws.secret_key}}' })
  })

  it('names the flavor, the field, the value and the fix for an invalid value', () => {
    const error = errorOf(() => parseFlavorConfig(bucketStore, { path: 'bucket/x' }))
    expect(error.code).toBe('INVALID_CONFIG')
    expect(error.message).toBe(
      "artifact_store/bucket config: 'path': must start with s3:// (got \"bucket/x\") — see 'strata artifact-store flavor describe bucket'",
    )
  })

  it('reports a missing required field', () => {
    const error = errorOf(() => parseFlavorConfig(bucketStore, {}))
    expect(error.message).toContain("'path' is required")
  })

  it('refuses unknown fields and suggests the closest', () => {
    const error = errorOf(() => parseFlavorConfig(bucketStore, { path: 's3://b', regoin: 'eu' }))
    expect(error.code).toBe('INVALID_CONFIG')
    expect(error.message).toContain("unknown field 'regoin' — did you mean 'region'?")
  })

  it('ends an unknown field with no close match with the fix: the known fields and where they are described', () => {
    const error = errorOf(() => parseFlavorConfig(bucketStore, { path: 's3://b', bogus: 1 }))
    expect(error.code).toBe('INVALID_CONFIG')
    expect(error.message).toMatch(
      /config: unknown field 'bogus' — remove it or use one of its fields \(path, .*region.*\); see 'strata artifact-store flavor describe bucket'$/,
    )
  })

  it('quotes a huge or hostile value and key as a bounded, inert excerpt', () => {
    const huge = `bucket/${'x'.repeat(1024 * 1024)}`
    const value = errorOf(() => parseFlavorConfig(bucketStore, { path: huge }))
    expect(value.message.length).toBeLessThan(300)
    expect(value.message).toContain(`(got "bucket/${'x'.repeat(55)}… (1048585 characters))`)
    const key = errorOf(() =>
      parseFlavorConfig(bucketStore, { path: 's3://b', [`\u001b]0;pwned\u0007${huge}`]: 1 }),
    )
    expect(key.message.length).toBeLessThan(400)
    expect(key.message).toContain("unknown field '\\u001b]0;pwned\\u0007bucket/xxx")
    expect(findControlCharacter(key.message)).toBeUndefined()
  })

  it('refuses a secret reference on a non-secret field', () => {
    const error = errorOf(() => parseFlavorConfig(bucketStore, { path: 's3://b', region: '{{aws.region}}' }))
    expect(error.code).toBe('SECRET_REFERENCE_NOT_ALLOWED')
    expect(error.message).toContain("'region' is not a secret field")
    expect(error.message).toContain('accessKeyId, secretAccessKey')
  })

  it('refuses a malformed reference', () => {
    const error = errorOf(() => parseFlavorConfig(bucketStore, { path: 's3://b', accessKeyId: '{{nodot}}' }))
    expect(error.code).toBe('INVALID_SECRET_REFERENCE')
  })

  it('never echoes a secret value in a validation error', () => {
    const error = errorOf(() => parseFlavorConfig(bucketStore, { path: 's3://b', secretAccessKey: 'short' }))
    expect(error.message).toContain("'secretAccessKey'")
    expect(error.message).not.toContain('short')
  })
})

describe('secret fields', () => {
  const schema = flavorConfigJsonSchema(bucketStore)

  it('are marked in the JSON Schema as plain strings', () => {
    expect(schema.properties?.secretAccessKey).toMatchObject({ type: 'string', minLength: 8, secret: true })
    expect(schema.properties?.region).not.toHaveProperty('secret')
  })

  it('are masked, references are kept', () => {
    const masked = maskConfig(
      { path: 's3://b', accessKeyId: 'AKIA123', secretAccessKey: '{{aws.key}}' },
      schema,
    )
    expect(masked).toEqual({ path: 's3://b', accessKeyId: MASK, secretAccessKey: '{{aws.key}}' })
  })

  it('resolve through a resolver and fail with the fix when missing', async () => {
    const config = { path: 's3://b', secretAccessKey: '{{aws.secret_key}}', accessKeyId: '{{aws.id}}' }
    expect(secretReferencesOf(config, schema)).toEqual([
      { secret: 'aws', key: 'id' },
      { secret: 'aws', key: 'secret_key' },
    ])
    const resolver = {
      getSecret: async (name: string) => (name === 'aws' ? { secret_key: 's3cr3t!!' } : undefined),
    }
    await expect(resolveConfigSecrets(config, schema, resolver)).rejects.toThrow(
      "secret 'aws' has no key 'id' (referenced as {{aws.id}}) — add it with 'strata secret update aws --id=...'",
    )
    const resolved = await resolveConfigSecrets({ ...config, accessKeyId: 'plain' }, schema, resolver)
    expect(resolved).toEqual({ path: 's3://b', secretAccessKey: 's3cr3t!!', accessKeyId: 'plain' })
    const noSecret = { getSecret: async () => undefined }
    await expect(resolveConfigSecrets(config, schema, noSecret)).rejects.toMatchObject({
      code: 'SECRET_NOT_FOUND',
    })
  })
})
