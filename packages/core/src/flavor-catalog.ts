import { compareText } from './compare-text.js'
import { type ComponentType, componentCliName } from './component-types.js'
import { StrataError } from './errors.js'
import { type AnyFlavor, flavorId, SUPPORTED_API_VERSIONS } from './flavor.js'
import type { JsonSchema } from './json-schema.js'
import { quote } from './quote.js'

/** Where a flavor came from. */
export interface FlavorSource {
  /** The npm package (or module path, for custom flavors). */
  package: string
  version: string
  kind: 'builtin' | 'dependency' | 'config' | 'custom' | 'inline'
}

/**
 * A flavor as the registry knows it: enough to list and describe it without importing its code, and a
 * `load()` that imports the code on first use.
 */
export interface FlavorEntry {
  type: ComponentType
  name: string
  apiVersion: number
  description: string
  isLocal: boolean
  isRemote: boolean
  source: FlavorSource
  /** JSON Schema of the config, secret fields marked `"secret": true`. */
  configSchema: JsonSchema
  settingsSchema?: JsonSchema
  /** The module `load()` imports, when the flavor comes from a file (manifest or custom flavors). */
  entryUrl?: string
  /**
   * A module whose default export is the flavor's `create`, importable without zod (the manifest's
   * `create`): read-only callers build the component from it without `load()`.
   */
  createUrl?: string
  /**
   * The flavor definition, imported on first call.
   * @throws StrataError `PLUGIN_LOAD_FAILED` when the package cannot be imported
   */
  load(): Promise<AnyFlavor>
}

/** @throws StrataError `UNSUPPORTED_API_VERSION` for an interface version this Strata cannot host */
export function checkApiVersion(
  type: ComponentType,
  name: string,
  apiVersion: unknown,
  source: FlavorSource,
): void {
  const supported = SUPPORTED_API_VERSIONS[type] as readonly unknown[]
  if (supported.includes(apiVersion)) return
  const newest = Math.max(...(supported as number[]))
  const fix =
    typeof apiVersion === 'number' && apiVersion > newest
      ? `upgrade Strata (@strata/cli and @strata/sdk), or install a ${source.package} release built for ${type} v${newest}`
      : `upgrade ${source.package} to a release built for ${type} v${newest}`
  throw new StrataError(
    'UNSUPPORTED_API_VERSION',
    `flavor ${flavorId(type, name)} from ${source.package}@${source.version} implements the ${type} interface v${String(apiVersion)}, but this Strata supports v${supported.join(', v')} — ${fix}`,
    { details: { flavor: flavorId(type, name), apiVersion, supported } },
  )
}

/**
 * The flavors one runtime knows, as entries: what listing, describing and masking need, and each entry's
 * `load()`. Needs no zod, so discovery and the CLI's `flavor list` load none; {@link FlavorRegistry} adds
 * registering plugin objects already in memory. There is no global registry, so two copies of
 * `@strata/core` cannot split the world.
 */
export class FlavorCatalog {
  readonly #entries = new Map<string, FlavorEntry>()
  /** Flavors refused for their interface version, kept so that using one names the refusal. */
  readonly #refused = new Map<string, StrataError>()

  /**
   * Adds one flavor. The same flavor reached twice through the same package is kept once. A flavor refused
   * for its interface version is remembered: {@link get} then throws that refusal, not `UNKNOWN_FLAVOR`.
   * @throws StrataError `UNSUPPORTED_API_VERSION` for an interface version this Strata cannot host
   * @throws StrataError `FLAVOR_CONFLICT` when another package already provides the flavor
   */
  register(entry: FlavorEntry): void {
    const id = flavorId(entry.type, entry.name)
    try {
      checkApiVersion(entry.type, entry.name, entry.apiVersion, entry.source)
    } catch (error) {
      if (!this.#entries.has(id)) this.#refused.set(id, error as StrataError)
      throw error
    }
    this.#refused.delete(id)
    const existing = this.#entries.get(id)
    if (existing) {
      if (existing.source.package === entry.source.package) return
      throw new StrataError(
        'FLAVOR_CONFLICT',
        `flavor ${id} is provided by both ${existing.source.package} and ${entry.source.package} — remove one of them from the project, or give the custom flavor another name`,
        { details: { flavor: id, packages: [existing.source.package, entry.source.package] } },
      )
    }
    this.#entries.set(id, entry)
  }

  /** The flavor, or `undefined`. */
  find(type: ComponentType, name: string): FlavorEntry | undefined {
    return this.#entries.get(flavorId(type, name))
  }

  /**
   * The flavor.
   * @throws StrataError `UNSUPPORTED_API_VERSION` when the flavor was refused for its interface version
   * @throws StrataError `UNKNOWN_FLAVOR` listing the flavors of that type
   */
  get(type: ComponentType, name: string): FlavorEntry {
    const entry = this.find(type, name)
    if (entry) return entry
    const refusal = this.refusal(type, name)
    if (refusal) throw refusal
    const available = this.list(type).map((flavor) => flavor.name)
    throw new StrataError(
      'UNKNOWN_FLAVOR',
      `unknown ${type} flavor ${quote(name)} — available: ${available.join(', ') || 'none'}; see 'strata ${componentCliName(type)} flavor list' or install an integration`,
      { details: { type, flavor: name, available } },
    )
  }

  /**
   * Imports the flavor's code and checks it is what the manifest promised.
   * @throws StrataError `UNKNOWN_FLAVOR`, `PLUGIN_LOAD_FAILED`, `UNSUPPORTED_API_VERSION`
   */
  async load(type: ComponentType, name: string): Promise<AnyFlavor> {
    const entry = this.get(type, name)
    const flavor = await entry.load()
    if (flavor.type !== type || flavor.name !== name) {
      throw new StrataError(
        'INVALID_PLUGIN',
        `${entry.source.package} declares flavor ${flavorId(type, name)} in its manifest but its code exports ${flavorId(flavor.type, flavor.name)} — rebuild or reinstall ${entry.source.package}`,
      )
    }
    checkApiVersion(type, name, flavor.apiVersion, entry.source)
    return flavor
  }

  /**
   * Why a flavor that was offered is not in the registry: the `UNSUPPORTED_API_VERSION` error that refused
   * it (naming the flavor, its interface version, and which side to upgrade), or `undefined`.
   */
  refusal(type: ComponentType, name: string): StrataError | undefined {
    return this.#refused.get(flavorId(type, name))
  }

  /** Every refusal {@link refusal} would return, in the order the flavors were offered. */
  refusals(): StrataError[] {
    return [...this.#refused.values()]
  }

  /** Every flavor, or those of one type, sorted by type and name. */
  list(type?: ComponentType): FlavorEntry[] {
    return [...this.#entries.values()]
      .filter((entry) => type === undefined || entry.type === type)
      .sort((a, b) => compareText(a.type, b.type) || compareText(a.name, b.name))
  }
}
