import type { ComponentType } from '@strata/core/base'
import type { ListOptions } from './list-options.js'

/** A registered stack component: a named, configured instance of a flavor. */
export interface ComponentRecord {
  id: string
  type: ComponentType
  name: string
  flavor: string
  /** As validated by the flavor. Secret fields hold `{{secret.key}}` references, never values. */
  config: Record<string, unknown>
  /** The package that provided the flavor when the component was registered (or the custom module). */
  plugin: string
  pluginVersion: string
  createdAt: string
  updatedAt: string
}

export interface NewComponent {
  type: ComponentType
  name: string
  flavor: string
  config: Record<string, unknown>
  plugin: string
  pluginVersion: string
}

export type ComponentSortField = 'name' | 'flavor' | 'created' | 'updated'

export interface ComponentListOptions extends ListOptions<ComponentSortField> {
  /** Only components of this type. */
  type?: ComponentType
  /** Only components of this flavor (with `type`). */
  flavor?: string
}

/** Stack components, by type and name. */
export interface ComponentRepository {
  list(options?: ComponentListOptions): Promise<ComponentRecord[]>
  count(options?: Pick<ComponentListOptions, 'type' | 'flavor'>): Promise<number>
  findById(id: string): Promise<ComponentRecord | undefined>
  /** By name, else by id, else by a unique id prefix (at least 4 characters). */
  find(type: ComponentType, nameOrId: string): Promise<ComponentRecord | undefined>
  /** @throws StrataError `COMPONENT_NOT_FOUND` with how to list the components of that type */
  get(type: ComponentType, nameOrId: string): Promise<ComponentRecord>
  /** @throws StrataError `INVALID_NAME`, `COMPONENT_EXISTS` */
  create(component: NewComponent): Promise<ComponentRecord>
  /**
   * Changes a component's config (already validated by its flavor), its name, or the plugin that now
   * provides its flavor. The flavor itself never changes: register a new component instead.
   * @throws StrataError `COMPONENT_NOT_FOUND`, `INVALID_NAME`, `COMPONENT_EXISTS`
   */
  update(
    id: string,
    changes: Partial<Pick<ComponentRecord, 'name' | 'config' | 'plugin' | 'pluginVersion'>>,
  ): Promise<ComponentRecord>
  /** Names of the stacks that use the component, sorted. */
  stacksUsing(id: string): Promise<string[]>
  /** Deletes a component (nothing when there is none). @throws StrataError `COMPONENT_IN_USE` naming the stacks */
  delete(id: string): Promise<void>
}
