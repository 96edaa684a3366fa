// Turning a flavor's zod schemas into JSON Schema: the one part of the flavor machinery that needs zod
// itself (everything that reads a JSON Schema — masking, `flavor describe` — is in json-schema.ts).
import { z } from 'zod'
import type { AnyFlavor } from './flavor.js'
import type { JsonSchema } from './json-schema.js'
import { SECRET_KEYWORD } from './secret-reference.js'

/**
 * The JSON Schema of a flavor's config or settings schema, as user input (defaults make fields optional).
 * A secret field appears as its own schema plus `"secret": true`; the reference alternative is implied.
 */
export function toFlavorJsonSchema(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
    override(context) {
      const json = context.jsonSchema as JsonSchema
      if (json[SECRET_KEYWORD] !== true || !Array.isArray(json.anyOf) || json.anyOf.length !== 2) return
      const [, valueSchema] = json.anyOf
      delete json.anyOf
      Object.assign(json, valueSchema, { [SECRET_KEYWORD]: true })
    },
  }) as JsonSchema
}

const jsonSchemas = new WeakMap<object, JsonSchema>()

/** The JSON Schema of a flavor's config, computed once per flavor object. */
export function flavorConfigJsonSchema(flavor: Pick<AnyFlavor, 'config'>): JsonSchema {
  let schema = jsonSchemas.get(flavor.config)
  if (!schema) {
    schema = toFlavorJsonSchema(flavor.config)
    jsonSchemas.set(flavor.config, schema)
  }
  return schema
}
