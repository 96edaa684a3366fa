import type { ComponentType } from '@strata/core/base'
import type { ComponentRecord } from './components.js'
import type { ListOptions } from './list-options.js'

/** The stack every store has: the local orchestrator and the local artifact store. */
export const DEFAULT_STACK_NAME = 'default'

/** A stack with its components, at most one per type. */
export interface StackRecord {
  id: string
  name: string
  description: string | undefined
  components: Partial<Record<ComponentType, ComponentRecord>>
  createdAt: string
  updatedAt: string
}

/** Component ids by type; `null` removes the type from the stack (in `update`). */
export type StackComponentIds = Partial<Record<ComponentType, string | null>>

export type StackSortField = 'name' | 'created' | 'updated'

/** Which package provides the default stack's `local` flavors, recorded on its components. */
export interface DefaultStackPlugin {
  package: string
  version: string
}

/** Stacks and their components. */
export interface StackRepository {
  list(options?: ListOptions<StackSortField>): Promise<StackRecord[]>
  count(): Promise<number>
  findById(id: string): Promise<StackRecord | undefined>
  /** By name, else by id, else by a unique id prefix (at least 4 characters). */
  find(nameOrId: string): Promise<StackRecord | undefined>
  /** @throws StrataError `STACK_NOT_FOUND` with how to list stacks */
  get(nameOrId: string): Promise<StackRecord>
  /**
   * Registers a stack of existing components (ids by type); it needs an orchestrator and an artifact store.
   * @throws StrataError `INVALID_NAME`, `STACK_EXISTS`, `COMPONENT_NOT_FOUND`, `INVALID_STACK`
   */
  create(stack: { name: string; description?: string; components: StackComponentIds }): Promise<StackRecord>
  /**
   * Replaces (an id) or removes (`null`) components by type; an orchestrator and an artifact store stay.
   * @throws StrataError `STACK_NOT_FOUND`, `COMPONENT_NOT_FOUND`, `INVALID_STACK`
   */
  updateComponents(id: string, changes: StackComponentIds): Promise<StackRecord>
  /** @throws StrataError `STACK_NOT_FOUND`, `DEFAULT_STACK`, `INVALID_NAME`, `STACK_EXISTS` */
  rename(id: string, name: string): Promise<StackRecord>
  /**
   * Deletes a stack (not its components). The default stack and the user's active stack are refused.
   * @throws StrataError `DEFAULT_STACK`, `STACK_ACTIVE`
   */
  delete(id: string): Promise<void>
  /**
   * The default stack, created (with `default` local components and as the active stack when none is set)
   * the first time it is asked for. Cheap once it exists: one read.
   */
  ensureDefault(plugin: DefaultStackPlugin): Promise<StackRecord>
}
