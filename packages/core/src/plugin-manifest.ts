import type { ComponentType } from './component-types.js'
import type { PluginDefinition } from './flavor.js'

/**
 * One flavor in a plugin's `"strata"` manifest: what `flavor list` and `flavor describe` show without
 * importing the plugin, and where to find its code and JSON Schemas (paths relative to the package).
 */
export interface FlavorManifestEntry {
  type: ComponentType
  name: string
  apiVersion: number
  description: string
  isLocal?: true
  isRemote?: true
  /** The module whose default export is the plugin. */
  entry: string
  /** The JSON Schema file of the config. */
  schema: string
  /** The JSON Schema file of the settings, for flavors that have settings. */
  settingsSchema?: string
  /** The zod-free module whose default export is the flavor's `create` (its `createModule`). */
  create?: string
}

/** The `"strata"` field of a plugin's package.json. */
export interface PluginManifest {
  flavors: FlavorManifestEntry[]
}

/** The parts of a package.json the manifest is derived from. */
export interface ManifestPackageJson {
  name?: string
  main?: string
  exports?: unknown
  strata?: unknown
  [field: string]: unknown
}

function relative(path: string): string {
  return path.startsWith('./') || path.startsWith('../') ? path : `./${path.replace(/^\/+/, '')}`
}

/** The import target of one export: a path, or the `import`/`default` condition of a conditions object. */
function importTarget(target: unknown): string | undefined {
  if (typeof target === 'string') return target
  if (typeof target !== 'object' || target === null || Array.isArray(target)) return undefined
  const conditions = target as Record<string, unknown>
  return importTarget(conditions.import) ?? importTarget(conditions.node) ?? importTarget(conditions.default)
}

/**
 * The module a package's plugin lives in: its main export (`exports["."]`, its `import` condition), else
 * `main`, else `./index.js`.
 */
export function pluginEntryOf(pkg: ManifestPackageJson): string {
  const exports = pkg.exports
  const isSubpathMap =
    typeof exports === 'object' &&
    exports !== null &&
    !Array.isArray(exports) &&
    Object.keys(exports).some((key) => key.startsWith('.'))
  const main = importTarget(isSubpathMap ? (exports as Record<string, unknown>)['.'] : exports)
  return relative(main ?? pkg.main ?? 'index.js')
}

/** `./dist/index.js` → `./dist/schemas`: the schemas sit beside the built entry. */
function schemaFolder(entry: string): string {
  const slash = entry.lastIndexOf('/')
  return `${slash <= 0 ? '.' : entry.slice(0, slash)}/schemas`
}

/** `./dist/index.js` + `./memory-create.js` → `./dist/memory-create.js`: a module the entry names. */
function besideEntry(entry: string, module: string): string {
  const slash = entry.lastIndexOf('/')
  const folder = slash <= 0 ? '.' : entry.slice(0, slash)
  return `${folder}/${module.replace(/^\.\//, '')}`
}

/**
 * A plugin's manifest, derived from its code: each flavor's type, name, `apiVersion`, description and
 * `isLocal`/`isRemote` as the flavor declares them, `entry`, JSON Schema paths beside the entry
 * (`<type>.<name>.json`, `<type>.<name>.settings.json`), and its `createModule` as `create`, in the
 * plugin's order.
 */
export function pluginManifest(plugin: PluginDefinition, entry: string): PluginManifest {
  const folder = schemaFolder(entry)
  return {
    flavors: plugin.flavors.map((flavor) => {
      const file = `${folder}/${flavor.type}.${flavor.name}`
      return {
        type: flavor.type,
        name: flavor.name,
        apiVersion: flavor.apiVersion,
        description: flavor.description,
        ...(flavor.isLocal ? { isLocal: true as const } : {}),
        ...(flavor.isRemote ? { isRemote: true as const } : {}),
        entry,
        schema: `${file}.json`,
        ...(flavor.settings ? { settingsSchema: `${file}.settings.json` } : {}),
        ...(flavor.createModule ? { create: besideEntry(entry, flavor.createModule) } : {}),
      }
    }),
  }
}

/**
 * `pkg` with its `"strata"` field holding `manifest` (other keys of the field are kept). A package without
 * the field gets it after the last of `main`, `exports` and `files`, where package.json says what it ships.
 */
export function withPluginManifest(pkg: ManifestPackageJson, manifest: PluginManifest): ManifestPackageJson {
  const current = typeof pkg.strata === 'object' && pkg.strata !== null ? pkg.strata : {}
  const strata = { ...current, ...manifest }
  if ('strata' in pkg) return { ...pkg, strata }
  const fields = Object.entries(pkg)
  const after = fields.findLastIndex(([field]) => ['main', 'exports', 'files'].includes(field))
  return Object.fromEntries([...fields.slice(0, after + 1), ['strata', strata], ...fields.slice(after + 1)])
}
