import { SECRET_KEYWORD } from './secret-reference.js'

/** A JSON Schema object (draft 2020-12), as zod writes it. */
export interface JsonSchema {
  type?: string | string[]
  description?: string
  default?: unknown
  properties?: Record<string, JsonSchema>
  required?: string[]
  items?: JsonSchema
  enum?: unknown[]
  anyOf?: JsonSchema[]
  /** Strata's mark for secret fields. */
  secret?: boolean
  [keyword: string]: unknown
}

/** Paths (`['accessKeyId']`, `['auth', 'token']`) of the fields a JSON Schema marks secret. */
export function secretFieldPaths(schema: JsonSchema): string[][] {
  const paths: string[][] = []
  const visit = (node: JsonSchema, path: string[]): void => {
    if (node[SECRET_KEYWORD] === true) {
      paths.push(path)
      return
    }
    for (const [key, child] of Object.entries(node.properties ?? {})) visit(child, [...path, key])
  }
  visit(schema, [])
  return paths
}

export interface JsonSchemaField {
  /** Dotted path, e.g. `auth.token`. */
  name: string
  type: string
  required: boolean
  default?: unknown
  description?: string
  secret: boolean
}

function typeName(node: JsonSchema): string {
  if (Array.isArray(node.enum)) return node.enum.map((value) => JSON.stringify(value)).join(' | ')
  if (node.const !== undefined) return JSON.stringify(node.const)
  if (Array.isArray(node.anyOf)) return node.anyOf.map(typeName).join(' | ')
  if (Array.isArray(node.type)) return node.type.join(' | ')
  if (node.type === 'array' && node.items) return `${typeName(node.items)}[]`
  return node.type ?? 'any'
}

/** Flattens an object schema into the rows `flavor describe` prints. */
export function describeJsonSchemaFields(schema: JsonSchema): JsonSchemaField[] {
  const fields: JsonSchemaField[] = []
  const visit = (node: JsonSchema, prefix: string, parentRequired: boolean): void => {
    const required = new Set(node.required ?? [])
    for (const [key, child] of Object.entries(node.properties ?? {})) {
      const name = prefix === '' ? key : `${prefix}.${key}`
      const isRequired = parentRequired && required.has(key)
      if (child.type === 'object' && child.properties && child[SECRET_KEYWORD] !== true) {
        visit(child, name, isRequired)
        continue
      }
      fields.push({
        name,
        type: typeName(child),
        required: isRequired,
        ...(child.default === undefined ? {} : { default: child.default }),
        ...(child.description === undefined ? {} : { description: child.description }),
        secret: child[SECRET_KEYWORD] === true,
      })
    }
  }
  visit(schema, '', true)
  return fields
}
