import type { ComponentType } from '@strata/core/base'

/**
 * A custom flavor registered with `strata <type> flavor register <module>`: what discovery needs to list
 * and describe it without importing its module (the SDK's discovery takes these records as they are).
 */
export interface FlavorRecord {
  type: ComponentType
  name: string
  apiVersion: number
  description: string
  isLocal: boolean
  isRemote: boolean
  /** Absolute path of the module exporting the flavor (or its plugin). */
  module: string
  /** JSON Schema of the config, secret fields marked `"secret": true`. */
  configSchema: Record<string, unknown>
  settingsSchema?: Record<string, unknown>
  createdAt: string
}

/** The custom flavor catalogue. */
export interface FlavorRepository {
  /** Every custom flavor, or those of one type, sorted by type and name. */
  list(type?: ComponentType): Promise<FlavorRecord[]>
  find(type: ComponentType, name: string): Promise<FlavorRecord | undefined>
  /**
   * Records a custom flavor, or refreshes it when the same module registers it again (a changed schema).
   * @throws StrataError `FLAVOR_EXISTS` when another module already registered that flavor
   */
  register(flavor: Omit<FlavorRecord, 'createdAt'>): Promise<FlavorRecord>
  /**
   * Forgets a custom flavor.
   * @throws StrataError `FLAVOR_NOT_FOUND`, or `FLAVOR_IN_USE` naming the components of that flavor
   */
  delete(type: ComponentType, name: string): Promise<void>
}
