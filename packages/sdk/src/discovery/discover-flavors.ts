import { dirname, isAbsolute, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { FlavorRegistry } from '@strata/core'
import {
  type AnyFlavor,
  type ComponentType,
  errorMessage,
  FlavorCatalog,
  type FlavorEntry,
  type FlavorSource,
  flavorId,
  isStrataError,
  type JsonSchema,
  type PluginDefinition,
  StrataError,
} from '@strata/core/base'
import type { FlavorRecord } from '@strata/store'
import { type FlavorManifest, type PackageJson, parsePluginManifest } from './plugin-manifest.js'

// Not `import ... from 'node:fs'`: building that ESM facade loads fs/promises (~3 ms), a tenth of the
// start-up budget of the CLI's read-only commands; getBuiltinModule hands over the already-loaded module.
const { existsSync, readFileSync, realpathSync } = process.getBuiltinModule('node:fs')

/** Packages whose flavors ship with Strata itself: the default stack's flavors. */
export const BUILTIN_PLUGINS = ['@strata/local'] as const

export interface DiscoverFlavorsOptions {
  /** Where the project's package.json is; without it only built-in and given flavors are found. */
  projectRoot?: string
  /** Plugins named in the project's `strata.config.*`: package names, plugin folders, or plugin objects. */
  configPlugins?: ReadonlyArray<string | PluginDefinition>
  /** Custom flavors recorded in the store (`store.flavors.list()`). */
  customFlavors?: ReadonlyArray<Omit<FlavorRecord, 'createdAt'>>
  /** Built-in plugin packages, resolved from the SDK's own location. @default ['@strata/local'] */
  builtins?: readonly string[]
  /**
   * The registry to fill. Plugin objects in `configPlugins` need a `FlavorRegistry` (it turns their zod
   * schemas into JSON Schema); without any, a zod-free `FlavorCatalog` does. @default a new FlavorCatalog
   */
  registry?: FlavorCatalog | FlavorRegistry
}

export interface DiscoveryResult {
  registry: FlavorCatalog
  /** Problems that did not stop discovery (a broken manifest, a conflict); each says how to fix it. */
  warnings: string[]
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T
}

/** Node's package lookup (`node_modules/<name>` in each ancestor), without importing anything. */
export function findPackageDir(name: string, from: string): string | undefined {
  for (let directory = resolve(from); ; directory = dirname(directory)) {
    const candidate = join(directory, 'node_modules', name)
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate)
    if (dirname(directory) === directory) return undefined
  }
}

function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let promise: Promise<T> | undefined
  return () => {
    promise ??= fn()
    return promise
  }
}

export function findFlavorIn(
  module: Record<string, unknown>,
  type: ComponentType,
  name: string,
): AnyFlavor | undefined {
  const isFlavor = (value: unknown): value is AnyFlavor =>
    typeof value === 'object' &&
    value !== null &&
    (value as AnyFlavor).type === type &&
    (value as AnyFlavor).name === name
  const candidates: unknown[] = [module.default, ...Object.values(module)]
  for (const candidate of candidates) {
    if (isFlavor(candidate)) return candidate
    const flavors = (candidate as PluginDefinition | undefined)?.flavors
    if (Array.isArray(flavors)) {
      const found = flavors.find(isFlavor)
      if (found) return found
    }
  }
  return undefined
}

/** Imports a module and finds one flavor in it: in its plugin's `flavors`, or as an export itself. */
export async function importFlavor(
  url: string,
  type: ComponentType,
  name: string,
  source: FlavorSource,
): Promise<AnyFlavor> {
  let module: Record<string, unknown>
  try {
    module = (await import(url)) as Record<string, unknown>
  } catch (error) {
    throw new StrataError(
      'PLUGIN_LOAD_FAILED',
      `could not load flavor ${flavorId(type, name)} from ${source.package}@${source.version} (${url}): ${errorMessage(error)} — reinstall the package or rebuild it`,
      { cause: error },
    )
  }
  const flavor = findFlavorIn(module, type, name)
  if (!flavor) {
    throw new StrataError(
      'INVALID_PLUGIN',
      `${source.package} promises flavor ${flavorId(type, name)} but ${url} does not export it — rebuild or reinstall ${source.package}`,
    )
  }
  return flavor
}

function lazySchema(path: string, pkg: string): () => JsonSchema {
  let schema: JsonSchema | undefined
  return () => {
    if (schema) return schema
    try {
      schema = readJson<JsonSchema>(path)
    } catch (error) {
      throw new StrataError(
        'INVALID_MANIFEST',
        `${pkg}: cannot read the flavor's JSON Schema at ${path} (${errorMessage(error)}) — build the plugin (its build runs strata-flavor-schemas) or reinstall it`,
      )
    }
    return schema
  }
}

function manifestEntry(flavor: FlavorManifest, packageDir: string, source: FlavorSource): FlavorEntry {
  const configSchema = lazySchema(join(packageDir, flavor.schema), source.package)
  const settingsSchema = flavor.settingsSchema
    ? lazySchema(join(packageDir, flavor.settingsSchema), source.package)
    : undefined
  const url = pathToFileURL(join(packageDir, flavor.entry)).href
  return {
    ...(flavor.create ? { createUrl: pathToFileURL(join(packageDir, flavor.create)).href } : {}),
    type: flavor.type,
    name: flavor.name,
    apiVersion: flavor.apiVersion,
    description: flavor.description,
    isLocal: flavor.isLocal ?? false,
    isRemote: flavor.isRemote ?? false,
    source,
    get configSchema() {
      return configSchema()
    },
    get settingsSchema() {
      return settingsSchema?.()
    },
    entryUrl: url,
    load: once(() => importFlavor(url, flavor.type, flavor.name, source)),
  }
}

function customEntry(record: Omit<FlavorRecord, 'createdAt'>): FlavorEntry {
  const source: FlavorSource = { package: record.module, version: 'custom', kind: 'custom' }
  const load = once(async () => {
    if (!isAbsolute(record.module) || !existsSync(record.module)) {
      throw new StrataError(
        'PLUGIN_LOAD_FAILED',
        `custom flavor ${flavorId(record.type, record.name)} was registered from '${record.module}', which no longer exists — register it again, or 'strata ${record.type.replace('_', '-')} flavor delete ${record.name}'`,
      )
    }
    return importFlavor(pathToFileURL(record.module).href, record.type, record.name, source)
  })
  return {
    type: record.type,
    name: record.name,
    apiVersion: record.apiVersion,
    description: record.description,
    isLocal: record.isLocal,
    isRemote: record.isRemote,
    source,
    configSchema: record.configSchema,
    ...(record.settingsSchema ? { settingsSchema: record.settingsSchema } : {}),
    entryUrl: pathToFileURL(record.module).href,
    load,
  }
}

/**
 * Finds flavors without importing plugin code: built-in plugins, then the project's declared dependencies
 * whose package.json carries a `"strata"` manifest, then `strata.config.*` plugins, then custom flavors
 * from the store. Code is imported only by an entry's `load()`.
 */
export function discoverFlavors(options: DiscoverFlavorsOptions = {}): DiscoveryResult {
  const registry = options.registry ?? new FlavorCatalog()
  const warnings: string[] = []
  const attempt = (fn: () => void): void => {
    try {
      fn()
    } catch (error) {
      if (!isStrataError(error)) throw error
      warnings.push(error.message)
    }
  }
  const addPackage = (packageDir: string, kind: FlavorSource['kind']): void => {
    const pkg = readJson<PackageJson>(join(packageDir, 'package.json'))
    if (pkg.strata === undefined) return
    const manifest = parsePluginManifest(pkg, packageDir)
    const source: FlavorSource = { package: pkg.name ?? packageDir, version: pkg.version ?? '0.0.0', kind }
    for (const flavor of manifest.flavors)
      attempt(() => registry.register(manifestEntry(flavor, packageDir, source)))
  }

  const sdkDir = dirname(fileURLToPath(import.meta.url))
  for (const name of options.builtins ?? BUILTIN_PLUGINS) {
    const packageDir = findPackageDir(name, sdkDir)
    if (packageDir) attempt(() => addPackage(packageDir, 'builtin'))
    else warnings.push(`built-in plugin ${name} is not installed next to @strata/sdk — reinstall @strata/sdk`)
  }

  const root = options.projectRoot
  if (root && existsSync(join(root, 'package.json'))) {
    const pkg = readJson<PackageJson>(join(root, 'package.json'))
    const declared = { ...pkg.optionalDependencies, ...pkg.devDependencies, ...pkg.dependencies }
    for (const name of Object.keys(declared).sort()) {
      const packageDir = findPackageDir(name, root)
      if (!packageDir) continue
      attempt(() => addPackage(packageDir, 'dependency'))
    }
  }

  for (const plugin of options.configPlugins ?? []) {
    attempt(() => {
      if (typeof plugin !== 'string') {
        const full = registry as Partial<FlavorRegistry>
        if (typeof full.registerPlugin !== 'function') {
          throw new Error(
            'discoverFlavors: plugin objects in configPlugins need options.registry, a FlavorRegistry',
          )
        }
        full.registerPlugin.call(registry, plugin, { version: 'config', kind: 'config' })
        return
      }
      const base = root ?? process.cwd()
      const packageDir =
        plugin.startsWith('.') || isAbsolute(plugin) ? resolve(base, plugin) : findPackageDir(plugin, base)
      if (!packageDir || !existsSync(join(packageDir, 'package.json'))) {
        throw new StrataError(
          'PLUGIN_LOAD_FAILED',
          `plugin '${plugin}' listed in strata.config is not installed — install it or remove it from the config`,
        )
      }
      addPackage(packageDir, 'config')
    })
  }

  for (const record of options.customFlavors ?? []) attempt(() => registry.register(customEntry(record)))
  return { registry, warnings }
}
