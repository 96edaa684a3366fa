import type { z } from 'zod'
import { closestName } from './closest-name.js'
import { componentCliName } from './component-types.js'
import { isPlainObject } from './config-secrets.js'
import { StrataError } from './errors.js'
import { type AnyFlavor, flavorId } from './flavor.js'
import { flavorConfigJsonSchema } from './flavor-json-schema.js'
import { secretFieldPaths } from './json-schema.js'
import { excerpt, quote } from './quote.js'
import { looksLikeSecretReference, parseSecretReference } from './secret-reference.js'

type Config = Record<string, unknown>

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
