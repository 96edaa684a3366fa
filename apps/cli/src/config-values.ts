import type { JsonSchema } from '@strata/core'
import { normalizeOptionName } from './argv.js'
import type { CommandContext } from './context.js'
import { UsageError } from './errors.js'

const squash = (name: string): string => name.toLowerCase().replaceAll(/[-_]/g, '')

/** `tracking-uri` → `trackingUri` (for keys the schema does not know: the flavor then suggests one). */
function camel(name: string): string {
  return normalizeOptionName(name).replaceAll(/-([a-z0-9])/g, (_, char: string) => char.toUpperCase())
}

/** The schema's own spelling of a key typed as `--tracking-uri`, `--tracking_uri` or `--trackingUri`. */
export function schemaKey(schema: JsonSchema | undefined, typed: string): string {
  const known = Object.keys(schema?.properties ?? {})
  return known.find((key) => squash(key) === squash(typed)) ?? camel(typed)
}

function typesOf(node: JsonSchema | undefined): string[] {
  if (!node) return []
  if (Array.isArray(node.anyOf)) return node.anyOf.flatMap(typesOf)
  if (Array.isArray(node.type)) return node.type
  if (typeof node.type === 'string') return [node.type]
  if (Array.isArray(node.enum)) return [...new Set(node.enum.map((value) => typeof value))]
  return []
}

/** Converts a typed string to what the field's JSON Schema type asks for; the flavor validates it after. */
export function coerce(
  node: JsonSchema | undefined,
  value: string,
  option: string,
  command: string,
): unknown {
  const types = typesOf(node)
  if (types.length === 0 || /^\{\{.*\}\}$/.test(value)) return value
  if (types.includes('boolean') && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true'
  if (
    (types.includes('integer') || types.includes('number')) &&
    value.trim() !== '' &&
    !Number.isNaN(Number(value))
  ) {
    return Number(value)
  }
  if ((types.includes('array') || types.includes('object')) && /^\s*[[{]/.test(value)) {
    try {
      return JSON.parse(value)
    } catch {
      throw new UsageError(
        `--${option} must be JSON (an ${types.includes('array') ? 'array' : 'object'}), got '${value}' — quote it for your shell, e.g. --${option}='["a","b"]'`,
        command,
      )
    }
  }
  if (types.includes('array') && !types.includes('string')) return value.split(',').map((item) => item.trim())
  return value
}

/**
 * Turns `--KEY=VALUE` pairs into a config object: keys matched to the flavor's schema however they are
 * spelled (dots reach nested fields), `@file` values read, values coerced by the field's JSON Schema type.
 * Values given to secret fields are registered so that no output can show them.
 */
export function configFromExtras(
  context: CommandContext,
  schema: JsonSchema | undefined,
  base: Record<string, unknown> = {},
): Record<string, unknown> {
  const config = structuredClone(base)
  for (const { key, value } of context.extras) {
    const segments = key.split('.')
    let target = config
    let node: JsonSchema | undefined = schema
    for (const [index, segment] of segments.entries()) {
      const field = schemaKey(node, segment)
      const child = node?.properties?.[field]
      if (index === segments.length - 1) {
        if (value === true) {
          target[field] = true
        } else {
          if (child?.secret === true) context.io.sensitive(value)
          const text = context.readValue(value, `--${key}`)
          if (child?.secret === true) context.io.sensitive(text)
          target[field] = coerce(child, text, key, context.path)
        }
      } else {
        const existing = target[field]
        target[field] =
          typeof existing === 'object' && existing !== null && !Array.isArray(existing) ? existing : {}
        target = target[field] as Record<string, unknown>
        node = child
      }
    }
  }
  return config
}

/** Removes attributes (matched to the schema's spelling; dots reach nested fields). */
export function removeAttributes(
  config: Record<string, unknown>,
  attributes: readonly string[],
  schema: JsonSchema | undefined,
  command: string,
): Record<string, unknown> {
  const copy = structuredClone(config)
  for (const attribute of attributes) {
    const segments = attribute.split('.')
    let target: Record<string, unknown> | undefined = copy
    let node: JsonSchema | undefined = schema
    for (const [index, segment] of segments.entries()) {
      const field: string =
        Object.keys(target ?? {}).find((key) => squash(key) === squash(segment)) ?? schemaKey(node, segment)
      if (index === segments.length - 1) {
        if (!target || !(field in target)) {
          throw new UsageError(
            `the component has no attribute '${attribute}' set — its attributes: ${Object.keys(copy).join(', ') || 'none'}`,
            command,
          )
        }
        delete target[field]
      } else {
        const next: unknown = target?.[field]
        target = typeof next === 'object' && next !== null ? (next as Record<string, unknown>) : undefined
        node = node?.properties?.[field]
      }
    }
  }
  return copy
}
