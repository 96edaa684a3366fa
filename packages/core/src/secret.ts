import { z } from 'zod'
import { SECRET_KEYWORD, SECRET_REFERENCE } from './secret-reference.js'

const REFERENCE_SCHEMA = z.string().regex(SECRET_REFERENCE)

/**
 * Marks a config field as secret. Its value is masked in every output, error, log and export, and it may
 * hold a `{{secret_name.key}}` reference instead of the value itself, resolved from the secrets store at
 * run time (then checked against `schema`).
 *
 * The mark lives in zod's global metadata registry and in the JSON Schema the plugin's build writes, so
 * masking works without importing the plugin and across duplicate module copies.
 */
export function secret<T extends z.ZodType<string>>(
  schema: T,
): z.ZodUnion<readonly [typeof REFERENCE_SCHEMA, T]> {
  const description = z.globalRegistry.get(schema)?.description
  return z.union([REFERENCE_SCHEMA, schema]).meta({
    [SECRET_KEYWORD]: true,
    ...(description === undefined ? {} : { description }),
  })
}

/** True when zod metadata marks the schema (or what it wraps) as secret. */
export function isSecretSchema(schema: z.ZodType): boolean {
  let current: z.ZodType | undefined = schema
  while (current) {
    if (z.globalRegistry.get(current)?.[SECRET_KEYWORD] === true) return true
    const def = current.def as { innerType?: z.ZodType }
    current = def.innerType
  }
  return false
}
