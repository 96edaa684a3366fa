import { isComponentType } from './component-types.js'
import { StrataError } from './errors.js'
import type { AnyFlavor, PluginDefinition } from './flavor.js'
import { flavorId } from './flavor.js'
import { checkApiVersion, FlavorCatalog, type FlavorEntry, type FlavorSource } from './flavor-catalog.js'
import { flavorConfigJsonSchema, toFlavorJsonSchema } from './flavor-json-schema.js'

export type { FlavorEntry, FlavorSource } from './flavor-catalog.js'

/** Builds a registry entry from a flavor definition already in memory. */
export function flavorEntryFromDefinition(flavor: AnyFlavor, source: FlavorSource): FlavorEntry {
  if (typeof flavor !== 'object' || flavor === null || !isComponentType(String(flavor.type))) {
    throw new StrataError(
      'INVALID_FLAVOR',
      `${source.package} exports a flavor with an unknown component type '${String(flavor?.type)}' — use one of the component types, e.g. 'artifact_store'`,
    )
  }
  if (typeof flavor.name !== 'string' || !/^[a-z0-9][a-z0-9_-]*$/.test(flavor.name)) {
    throw new StrataError(
      'INVALID_FLAVOR',
      `${source.package} exports a flavor of type ${flavor.type} with an invalid name '${String(flavor.name)}' — use lower-case letters, digits, '-' and '_'`,
    )
  }
  if (typeof flavor.create !== 'function' || typeof flavor.config?.safeParse !== 'function') {
    throw new StrataError(
      'INVALID_FLAVOR',
      `flavor ${flavorId(flavor.type, flavor.name)} from ${source.package} needs a zod 'config' schema and a 'create' function — declare it with defineFlavor()`,
    )
  }
  checkApiVersion(flavor.type, flavor.name, flavor.apiVersion, source)
  return {
    type: flavor.type,
    name: flavor.name,
    apiVersion: flavor.apiVersion,
    description: flavor.description,
    isLocal: flavor.isLocal ?? false,
    isRemote: flavor.isRemote ?? false,
    source,
    configSchema: flavorConfigJsonSchema(flavor),
    ...(flavor.settings ? { settingsSchema: toFlavorJsonSchema(flavor.settings) } : {}),
    load: async () => flavor,
  }
}

/**
 * The flavors one runtime knows, plugin objects in memory included (their zod schemas turned into JSON
 * Schema). Built by the runtime and handed plugins; there is no global registry, so two copies of
 * `@strata/core` cannot split the world.
 */
export class FlavorRegistry extends FlavorCatalog {
  /** Adds every flavor of a plugin object. */
  registerPlugin(
    plugin: PluginDefinition,
    source: Omit<FlavorSource, 'package'> & { package?: string },
  ): void {
    if (typeof plugin !== 'object' || plugin === null || !Array.isArray(plugin.flavors)) {
      throw new StrataError(
        'INVALID_PLUGIN',
        `${source.package ?? 'a plugin'} does not export a plugin object — export default definePlugin({ name, flavors: [...] })`,
      )
    }
    const fullSource: FlavorSource = { ...source, package: source.package ?? plugin.name }
    for (const flavor of plugin.flavors) this.register(flavorEntryFromDefinition(flavor, fullSource))
  }
}
