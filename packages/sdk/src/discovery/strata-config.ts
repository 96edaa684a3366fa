import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { errorMessage, type PluginDefinition, StrataError } from '@strata/core/base'

// Not `import ... from 'node:fs'`: building that ESM facade loads fs/promises (~3 ms), a tenth of the
// start-up budget of the CLI's read-only commands; getBuiltinModule hands over the already-loaded module.
const { existsSync, readFileSync } = process.getBuiltinModule('node:fs')

/** A project's `strata.config.*`. */
export interface StrataConfig {
  /**
   * Plugins beyond the project's dependencies: package names, plugin folders (relative to the project
   * root), or plugin objects. Plugin objects are code: importing the config imports them.
   */
  plugins?: Array<string | PluginDefinition>
}

/** Declares a `strata.config.ts`. An identity function: it exists to check the types. */
export function defineConfig(config: StrataConfig): StrataConfig {
  return config
}

/** The file names looked for, in order. */
export const STRATA_CONFIG_FILES = [
  'strata.config.ts',
  'strata.config.mts',
  'strata.config.js',
  'strata.config.mjs',
  'strata.config.json',
] as const

/** The project's config file, if it has one. */
export function findStrataConfig(projectRoot: string): string | undefined {
  return STRATA_CONFIG_FILES.map((name) => join(projectRoot, name)).find((path) => existsSync(path))
}

function invalid(path: string, problem: string): StrataError {
  return new StrataError(
    'INVALID_STRATA_CONFIG',
    `${path}: ${problem} — export default defineConfig({ plugins: ['package-name' or './plugin-folder' or pluginObject] })`,
  )
}

/**
 * Loads the project's `strata.config.{ts,mts,js,mjs,json}` (TypeScript through Node's type stripping).
 * @throws StrataError `INVALID_STRATA_CONFIG` naming the file and the problem
 */
export async function loadStrataConfig(
  projectRoot: string,
): Promise<{ path: string; config: StrataConfig } | undefined> {
  const path = findStrataConfig(projectRoot)
  if (!path) return undefined
  let value: unknown
  try {
    if (path.endsWith('.json')) value = JSON.parse(readFileSync(path, 'utf8'))
    else value = ((await import(pathToFileURL(path).href)) as { default?: unknown }).default
  } catch (error) {
    throw invalid(path, `cannot be loaded (${errorMessage(error)})`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(path, 'its default export is not an object')
  }
  const plugins = (value as StrataConfig).plugins
  if (plugins !== undefined) {
    const valid =
      Array.isArray(plugins) &&
      plugins.every((plugin) => typeof plugin === 'string' || (typeof plugin === 'object' && plugin !== null))
    if (!valid) throw invalid(path, "'plugins' must be an array of package names, folders or plugin objects")
  }
  return { path, config: value as StrataConfig }
}
