// A config's secret fields, found through its flavor's JSON Schema: masked for output, collected for
// scrubbing, resolved from the secrets store. No zod: `strata <type> describe` masks without loading it.
import { type JsonSchema, secretFieldPaths } from './json-schema.js'
import {
  MASK,
  parseSecretReference,
  resolveSecretReference,
  type SecretReference,
  type SecretResolver,
} from './secret-reference.js'

type Config = Record<string, unknown>

export function isPlainObject(value: unknown): value is Config {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function mapPaths(config: Config, paths: readonly string[][], map: (value: unknown) => unknown): Config {
  const copy = structuredClone(config)
  for (const path of paths) {
    let node: unknown = copy
    for (const key of path.slice(0, -1)) node = isPlainObject(node) ? node[key] : undefined
    const last = path.at(-1)
    if (last !== undefined && isPlainObject(node) && node[last] !== undefined) node[last] = map(node[last])
  }
  return copy
}

/** A copy of `config` with secret values replaced by `********` (references stay: they reveal nothing). */
export function maskConfig(config: Config, schema: JsonSchema): Config {
  return mapPaths(config, secretFieldPaths(schema), (value) => (parseSecretReference(value) ? value : MASK))
}

/** The secret values a config holds directly (not as references), so output can be scrubbed of them. */
export function secretValuesOf(config: Config, schema: JsonSchema): string[] {
  const values: string[] = []
  mapPaths(config, secretFieldPaths(schema), (value) => {
    if (typeof value === 'string' && !parseSecretReference(value)) values.push(value)
    return value
  })
  return values
}

/** The `{{name.key}}` references a config's secret fields hold. */
export function secretReferencesOf(config: Config, schema: JsonSchema): SecretReference[] {
  const references: SecretReference[] = []
  mapPaths(config, secretFieldPaths(schema), (value) => {
    const reference = parseSecretReference(value)
    if (reference) references.push(reference)
    return value
  })
  return references
}

/**
 * Replaces every secret reference with its value.
 * @throws StrataError `SECRET_NOT_FOUND` naming the missing secret or key
 */
export async function resolveConfigSecrets(
  config: Config,
  schema: JsonSchema,
  resolver: SecretResolver,
): Promise<Config> {
  const resolved = new Map<string, string>()
  for (const reference of secretReferencesOf(config, schema)) {
    const text = `{{${reference.secret}.${reference.key}}}`
    if (!resolved.has(text)) resolved.set(text, await resolveSecretReference(reference, resolver))
  }
  return mapPaths(config, secretFieldPaths(schema), (value) => {
    const reference = parseSecretReference(value)
    return reference ? resolved.get(`{{${reference.secret}.${reference.key}}}`) : value
  })
}
