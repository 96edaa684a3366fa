import { COMPONENT_TYPES, StrataError } from '@strata/core'
import { z } from 'zod'

const flavorManifest = z.object({
  type: z.enum(COMPONENT_TYPES),
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/),
  apiVersion: z.number().int(),
  description: z.string(),
  isLocal: z.boolean().optional(),
  isRemote: z.boolean().optional(),
  /** The module whose default export is the plugin, relative to the package. */
  entry: z.string(),
  /** The JSON Schema file of the config, written by the plugin's build. */
  schema: z.string(),
  settingsSchema: z.string().optional(),
})

const pluginManifest = z.object({ flavors: z.array(flavorManifest).min(1) })

export type FlavorManifest = z.infer<typeof flavorManifest>
export type PluginManifest = z.infer<typeof pluginManifest>

/** The parts of a package.json discovery reads. */
export interface PackageJson {
  name?: string
  version?: string
  strata?: unknown
  dependencies?: Record<string, string>
  devDependencies?: Record<string, string>
  optionalDependencies?: Record<string, string>
}

/**
 * Reads the `"strata"` field of a plugin's package.json.
 * @throws StrataError `INVALID_MANIFEST` naming the package and the field
 */
export function parsePluginManifest(pkg: PackageJson, where: string): PluginManifest {
  const result = pluginManifest.safeParse(pkg.strata)
  if (result.success) return result.data
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
  throw new StrataError(
    'INVALID_MANIFEST',
    `${pkg.name ?? where} has an invalid "strata" manifest in its package.json (${problems.join('; ')}) — fix it or reinstall the package`,
  )
}
