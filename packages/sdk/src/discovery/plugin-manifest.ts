import { COMPONENT_TYPES, type ComponentType, StrataError } from '@strata/core/base'

// Checked by hand, not with zod: discovery runs on every `flavor list`, and loading zod would cost more
// than the whole command may take (see apps/cli/test/lazy-imports.test.ts).

/** One flavor in a plugin's `"strata"` manifest. */
export interface FlavorManifest {
  type: ComponentType
  name: string
  apiVersion: number
  description: string
  isLocal?: boolean
  isRemote?: boolean
  /** The module whose default export is the plugin, relative to the package. */
  entry: string
  /** The JSON Schema file of the config, written by the plugin's build. */
  schema: string
  settingsSchema?: string
  /** A module whose default export is the flavor's `create`, importable without zod (its `createModule`). */
  create?: string
}

export interface PluginManifest {
  flavors: FlavorManifest[]
}

/** The parts of a package.json discovery reads. */
export interface PackageJson {
  name?: string
  version?: string
  strata?: unknown
  dependencies?: Record<string, string>
  devDependencies?: Record<string, string>
  optionalDependencies?: Record<string, string>
}

const FLAVOR_NAME = /^[a-z0-9][a-z0-9_-]*$/

const kind = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value

/** The problems of one flavor entry, each as `path: what is wrong`. */
function flavorProblems(value: unknown, path: string): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return [`${path}: expected object, received ${kind(value)}`]
  const flavor = value as Record<string, unknown>
  const problems: string[] = []
  const expect = (key: string, type: 'string' | 'boolean', optional = false): void => {
    const field = flavor[key]
    if (field === undefined && optional) return
    if (typeof field !== type) problems.push(`${path}.${key}: expected ${type}, received ${kind(field)}`)
  }
  if (!COMPONENT_TYPES.includes(flavor.type as ComponentType))
    problems.push(`${path}.type: expected one of ${COMPONENT_TYPES.map((type) => `"${type}"`).join('|')}`)
  expect('name', 'string')
  if (typeof flavor.name === 'string' && !FLAVOR_NAME.test(flavor.name))
    problems.push(`${path}.name: must match ${FLAVOR_NAME}`)
  if (!Number.isInteger(flavor.apiVersion))
    problems.push(`${path}.apiVersion: expected an integer, received ${kind(flavor.apiVersion)}`)
  expect('description', 'string')
  expect('isLocal', 'boolean', true)
  expect('isRemote', 'boolean', true)
  expect('entry', 'string')
  expect('schema', 'string')
  expect('settingsSchema', 'string', true)
  expect('create', 'string', true)
  return problems
}

/**
 * Reads the `"strata"` field of a plugin's package.json.
 * @throws StrataError `INVALID_MANIFEST` naming the package and the field
 */
export function parsePluginManifest(pkg: PackageJson, where: string): PluginManifest {
  const manifest = pkg.strata
  let problems: string[]
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) {
    problems = [`(root): expected object, received ${kind(manifest)}`]
  } else {
    const flavors = (manifest as { flavors?: unknown }).flavors
    if (!Array.isArray(flavors)) problems = [`flavors: expected array, received ${kind(flavors)}`]
    else if (flavors.length === 0) problems = ['flavors: expected at least one flavor']
    else problems = flavors.flatMap((flavor, index) => flavorProblems(flavor, `flavors.${index}`))
  }
  if (problems.length === 0) return manifest as PluginManifest
  throw new StrataError(
    'INVALID_MANIFEST',
    `${pkg.name ?? where} has an invalid "strata" manifest in its package.json (${problems.join('; ')}) — fix it or reinstall the package`,
  )
}
