import type { JsonSchema } from '@strata/core'
import { describe, expect, it } from 'vitest'
import { coerce, removeAttributes, schemaKey } from './config-values.js'

const schema: JsonSchema = {
  type: 'object',
  properties: {
    trackingUri: { type: 'string' },
    retries: { type: 'integer' },
    ratio: { type: 'number' },
    verbose: { type: 'boolean' },
    tags: { type: 'array', items: { type: 'string' } },
    either: { anyOf: [{ type: 'string' }, { type: 'number' }] },
    auth: { type: 'object', properties: { token: { type: 'string', secret: true } } },
  },
}

describe('config values from the command line', () => {
  it('matches a key however it is spelled, and falls back to camelCase so the flavor can suggest one', () => {
    for (const typed of ['tracking-uri', 'tracking_uri', 'trackingUri', 'TRACKING_URI'])
      expect(schemaKey(schema, typed)).toBe('trackingUri')
    expect(schemaKey(schema, 'unknown-key')).toBe('unknownKey')
  })

  it("coerces by the field's JSON Schema type and leaves the rest to the flavor's validation", () => {
    const properties = schema.properties!
    expect(coerce(properties.retries, '3', 'retries', 'x')).toBe(3)
    expect(coerce(properties.retries, 'three', 'retries', 'x')).toBe('three')
    expect(coerce(properties.ratio, '0.5', 'ratio', 'x')).toBe(0.5)
    expect(coerce(properties.verbose, 'TRUE', 'verbose', 'x')).toBe(true)
    expect(coerce(properties.tags, '["a","b"]', 'tags', 'x')).toEqual(['a', 'b'])
    expect(coerce(properties.tags, 'a, b', 'tags', 'x')).toEqual(['a', 'b'])
    expect(coerce(properties.either, '7', 'either', 'x')).toBe(7)
    expect(coerce(properties.trackingUri, '7', 'tracking-uri', 'x')).toBe('7')
    expect(coerce(properties.retries, '{{s.k}}', 'retries', 'x')).toBe('{{s.k}}')
    expect(() => coerce(properties.tags, '[oops', 'tags', 'x')).toThrow(
      "--tags must be JSON (an array), got '[oops'",
    )
  })

  it('removes attributes by any spelling, nested ones by dots', () => {
    const config = { trackingUri: 'u', auth: { token: '{{s.k}}' } }
    expect(removeAttributes(config, ['tracking-uri', 'auth.token'], schema, 'x')).toEqual({ auth: {} })
    expect(() => removeAttributes(config, ['retries'], schema, 'x')).toThrow(
      "the component has no attribute 'retries' set — its attributes: trackingUri, auth",
    )
  })
})
