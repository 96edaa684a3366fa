import type { z } from 'zod'
import { closestName } from './closest-name.js'
import { componentCliName } from './component-types.js'
import { StrataError } from './errors.js'
import { type AnyFlavor, flavorId } from './flavor.js'
import { type JsonSchema, secretFieldPaths, toFlavorJsonSchema } from './json-schema.js'
import { excerpt, quote } from './quote.js'
import {
  looksLikeSecretReference,
  MASK,
  parseSecretReference,
  resolveSecretReference,
  type SecretReference,
  type SecretResolver,
} from './secret.js'

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

type Config = Record<string, unknown>

function isPlainObject(value: unknown): value is Config {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function dotted(path: readonly PropertyKey[]): string {
  return path.map(String).join('.')
}

/** Every string leaf of a config, with its dotted path. */
function* stringLeaves(value: unknown, path: string[] = []): Generator<[string, string]> {
  if (typeof value === 'string') yield [path.join('.'), value]
  else if (Array.isArray(value))
    for (const [index, item] of value.entries()) yield* stringLeaves(item, [...path, String(index)])
  else if (isPlainObject(value))
    for (const [key, item] of Object.entries(value)) yield* stringLeaves(item, [...path, key])
}

function describeIssue(issue: z.core.$ZodIssue, raw: Config, secretPaths: Set<string>): string {
  const path = dotted(issue.path)
  const isSecret = secretPaths.has(path)
  let message = issue.message
  if (issue.code === 'invalid_union' && isSecret) {
    // The first alternative is the {{secret.key}} reference; the second is the field's own schema.
    const own = issue.errors[1]?.[0]
    if (own) message = own.message
  }
  let value: unknown = raw
  for (const key of issue.path) value = isPlainObject(value) ? value[String(key)] : undefined
  if (value === undefined && issue.code === 'invalid_type') return `'${path}' is required`
  const got =
    isSecret || value === undefined ? '' : ` (got ${excerpt(JSON.stringify(value) ?? String(value))})`
  return path === '' ? `${message}${got}` : `'${path}': ${message}${got}`
}

export interface ParseFlavorConfigOptions {
  /** The component's name, for messages. */
  componentName?: string
}

/**
 * Validates a component's config against its flavor: unknown fields, secret references only on secret
 * fields, and the flavor's zod schema. Secret values are never echoed.
 * @throws StrataError `INVALID_CONFIG`, `SECRET_REFERENCE_NOT_ALLOWED` or `INVALID_SECRET_REFERENCE`,
 *   naming the flavor and the field
 */
export function parseFlavorConfig(
  flavor: AnyFlavor,
  raw: unknown,
  options: ParseFlavorConfigOptions = {},
): Config {
  const id = flavorId(flavor.type, flavor.name)
  const subject = options.componentName ? `${id} component ${quote(options.componentName)}` : id
  const describeHint = `see 'strata ${componentCliName(flavor.type)} flavor describe ${flavor.name}'`
  if (!isPlainObject(raw)) {
    throw new StrataError('INVALID_CONFIG', `${subject} config must be an object — ${describeHint}`)
  }
  const jsonSchema = flavorConfigJsonSchema(flavor)
  const secretPaths = new Set(secretFieldPaths(jsonSchema).map((path) => path.join('.')))

  for (const [path, value] of stringLeaves(raw)) {
    if (!looksLikeSecretReference(value)) continue
    if (!secretPaths.has(path)) {
      const secretList = [...secretPaths].join(', ') || 'none'
      throw new StrataError(
        'SECRET_REFERENCE_NOT_ALLOWED',
        `${subject} config: '${path}' is not a secret field, so it cannot hold the secret reference ${excerpt(value)} — put the value itself there (secret fields of ${id}: ${secretList})`,
        { details: { flavor: id, field: path } },
      )
    }
    if (!parseSecretReference(value)) {
      throw new StrataError(
        'INVALID_SECRET_REFERENCE',
        `${subject} config: '${path}' holds a malformed secret reference — write it as {{secret_name.key}}`,
        { details: { flavor: id, field: path } },
      )
    }
  }

  const known = Object.keys(jsonSchema.properties ?? {})
  if (jsonSchema.additionalProperties === false || jsonSchema.additionalProperties === undefined) {
    for (const key of Object.keys(raw)) {
      if (known.includes(key)) continue
      const suggestion = closestName(key, known)
      const fix =
        known.length === 0
          ? `remove it: ${id} takes no configuration`
          : `${suggestion ? `did you mean '${suggestion}'? ` : 'remove it or use '}one of its fields (${known.join(', ')}); ${describeHint}`
      throw new StrataError('INVALID_CONFIG', `${subject} config: unknown field ${quote(key)} — ${fix}`, {
        details: { flavor: id, field: key },
      })
    }
  }

  const result = flavor.config.safeParse(raw)
  if (!result.success) {
    const problems = result.error.issues.map((issue) => describeIssue(issue, raw, secretPaths))
    throw new StrataError('INVALID_CONFIG', `${subject} config: ${problems.join('; ')} — ${describeHint}`, {
      details: { flavor: id, fields: result.error.issues.map((issue) => dotted(issue.path)) },
    })
  }
  return result.data as Config
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
