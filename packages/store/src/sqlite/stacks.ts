import {
  COMPONENT_TYPES,
  type ComponentType,
  componentCliName,
  REQUIRED_COMPONENT_TYPES,
  StrataError,
} from '@strata/core/base'
import { crypto } from '../lazy-crypto.js'
import { checkName, type ListOptions } from '../repositories/list-options.js'
import { SETTING_KEYS } from '../repositories/settings.js'
import {
  DEFAULT_STACK_NAME,
  type DefaultStackPlugin,
  type StackComponentIds,
  type StackRecord,
  type StackRepository,
  type StackSortField,
} from '../repositories/stacks.js'
import { type ComponentRow, componentFromRow, SqliteComponentRepository } from './components.js'
import { listClause } from './list-clause.js'
import type { Synchronous } from './queued-repository.js'
import { SqliteSettingsRepository } from './settings.js'
import { now, type SqliteDatabase } from './sqlite-database.js'

interface StackRow {
  id: string
  name: string
  description: string | null
  created_at: string
  updated_at: string
}

const SORT_COLUMNS = { name: 'name', created: 'created_at', updated: 'updated_at' }

function label(type: ComponentType): string {
  return type.replace('_', ' ')
}

/** Stacks and their components in SQLite. */
export class SqliteStackRepository implements Synchronous<StackRepository> {
  readonly #store: SqliteDatabase
  readonly #components: SqliteComponentRepository
  readonly #settings: SqliteSettingsRepository

  constructor(store: SqliteDatabase) {
    this.#store = store
    this.#components = new SqliteComponentRepository(store)
    this.#settings = new SqliteSettingsRepository(store)
  }

  list(options: ListOptions<StackSortField> = {}): StackRecord[] {
    const rows = this.#store.all<StackRow>(`SELECT * FROM stacks${listClause(options, SORT_COLUMNS)}`)
    return this.#withComponents(rows)
  }

  count(): number {
    return this.#store.count('SELECT COUNT(*) AS n FROM stacks')
  }

  findById(id: string): StackRecord | undefined {
    const row = this.#store.get<StackRow>('SELECT * FROM stacks WHERE id = ?', id)
    return row && this.#withComponents([row])[0]
  }

  /** By name, else by id, else by a unique id prefix (at least 4 characters). */
  find(nameOrId: string): StackRecord | undefined {
    const row =
      this.#store.get<StackRow>('SELECT * FROM stacks WHERE name = ?', nameOrId) ??
      (nameOrId.length >= 4
        ? this.#unique(
            this.#store.all<StackRow>(
              "SELECT * FROM stacks WHERE id LIKE ? || '%' ESCAPE '\\' LIMIT 2",
              nameOrId.replaceAll(/[\\%_]/g, (char) => `\\${char}`),
            ),
          )
        : undefined)
    return row && this.#withComponents([row])[0]
  }

  /** @throws StrataError `STACK_NOT_FOUND` with how to list stacks */
  get(nameOrId: string): StackRecord {
    const found = this.find(nameOrId)
    if (found) return found
    throw new StrataError(
      'STACK_NOT_FOUND',
      `no stack named '${nameOrId}' — see 'strata stack list', or register it with 'strata stack register ${nameOrId} -o ORCHESTRATOR -a ARTIFACT_STORE'`,
      { details: { stack: nameOrId } },
    )
  }

  /**
   * Registers a stack of existing components (ids by type); it needs an orchestrator and an artifact store.
   * @throws StrataError `INVALID_NAME`, `STACK_EXISTS`, `COMPONENT_NOT_FOUND`, `INVALID_STACK`
   */
  create(stack: { name: string; description?: string; components: StackComponentIds }): StackRecord {
    checkName('stack', stack.name)
    this.#refuseTaken(stack.name)
    const ids = this.#checkComponents(stack.name, {}, stack.components)
    const id = crypto().randomUUID()
    const at = now()
    this.#store.run(
      'INSERT INTO stacks (id, name, description, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
      id,
      stack.name,
      stack.description ?? null,
      at,
      at,
    )
    for (const [type, componentId] of Object.entries(ids)) {
      this.#store.run(
        'INSERT INTO stack_components (stack_id, type, component_id) VALUES (?, ?, ?)',
        id,
        type,
        componentId,
      )
    }
    return this.#byId(id)
  }

  /**
   * Replaces (an id) or removes (`null`) components by type; an orchestrator and an artifact store stay.
   * @throws StrataError `STACK_NOT_FOUND`, `COMPONENT_NOT_FOUND`, `INVALID_STACK`
   */
  updateComponents(id: string, changes: StackComponentIds): StackRecord {
    const stack = this.#byId(id)
    const current = Object.fromEntries(
      Object.entries(stack.components).map(([type, component]) => [type, component.id]),
    ) as Partial<Record<ComponentType, string>>
    const ids = this.#checkComponents(stack.name, current, changes)
    this.#store.run('DELETE FROM stack_components WHERE stack_id = ?', id)
    for (const [type, componentId] of Object.entries(ids)) {
      this.#store.run(
        'INSERT INTO stack_components (stack_id, type, component_id) VALUES (?, ?, ?)',
        id,
        type,
        componentId,
      )
    }
    this.#store.run('UPDATE stacks SET updated_at = ? WHERE id = ?', now(), id)
    return this.#byId(id)
  }

  /** @throws StrataError `STACK_NOT_FOUND`, `DEFAULT_STACK`, `INVALID_NAME`, `STACK_EXISTS` */
  rename(id: string, name: string): StackRecord {
    const stack = this.#byId(id)
    if (stack.name === name) return stack
    this.#refuseDefault(
      stack,
      'renamed',
      `copy it instead: 'strata stack copy ${DEFAULT_STACK_NAME} ${name}'`,
    )
    checkName('stack', name)
    this.#refuseTaken(name)
    this.#store.run('UPDATE stacks SET name = ?, updated_at = ? WHERE id = ?', name, now(), id)
    return this.#byId(id)
  }

  /**
   * Deletes a stack (not its components). The default stack and the user's active stack are refused.
   * @throws StrataError `DEFAULT_STACK`, `STACK_ACTIVE`
   */
  delete(id: string): void {
    const stack = this.findById(id)
    if (!stack) return
    this.#refuseDefault(stack, 'deleted', 'it is where pipelines run when no other stack is active')
    if (this.#settings.get(SETTING_KEYS.activeStack) === id) {
      throw new StrataError(
        'STACK_ACTIVE',
        `stack '${stack.name}' is the active stack and cannot be deleted — activate another one first ('strata stack set ${DEFAULT_STACK_NAME}')`,
        { details: { stack: stack.name } },
      )
    }
    this.#store.run('DELETE FROM stacks WHERE id = ?', id)
  }

  /**
   * The default stack, created (with `default` local components and as the active stack when none is set)
   * the first time it is asked for. Cheap once it exists: one read.
   */
  ensureDefault(plugin: DefaultStackPlugin): StackRecord {
    const existing = this.find(DEFAULT_STACK_NAME)
    if (existing) return existing
    return this.#store.transaction(() => {
      // Another process may have created it while this one waited for the write lock.
      const raced = this.find(DEFAULT_STACK_NAME)
      if (raced) return raced
      const components: StackComponentIds = {}
      for (const type of REQUIRED_COMPONENT_TYPES) {
        const component =
          this.#components.find(type, DEFAULT_STACK_NAME) ??
          this.#components.create({
            type,
            name: DEFAULT_STACK_NAME,
            flavor: 'local',
            config: {},
            plugin: plugin.package,
            pluginVersion: plugin.version,
          })
        components[type] = component.id
      }
      const stack = this.create({ name: DEFAULT_STACK_NAME, components })
      const active = this.#settings.get(SETTING_KEYS.activeStack)
      if (active === undefined || !this.findById(active))
        this.#settings.set(SETTING_KEYS.activeStack, stack.id)
      return stack
    })
  }

  #byId(id: string): StackRecord {
    const stack = this.findById(id)
    if (stack) return stack
    throw new StrataError('STACK_NOT_FOUND', `no stack with id '${id}' — see 'strata stack list'`)
  }

  #unique(rows: StackRow[]): StackRow | undefined {
    return rows.length === 1 ? rows[0] : undefined
  }

  #refuseDefault(stack: StackRecord, verb: string, why: string): void {
    if (stack.name !== DEFAULT_STACK_NAME) return
    throw new StrataError('DEFAULT_STACK', `the default stack cannot be ${verb} — ${why}`, {
      details: { stack: stack.name },
    })
  }

  #refuseTaken(name: string): void {
    if (!this.#store.get('SELECT 1 FROM stacks WHERE name = ?', name)) return
    throw new StrataError(
      'STACK_EXISTS',
      `a stack named '${name}' already exists — choose another name, or change it with 'strata stack update ${name}'`,
      { details: { stack: name } },
    )
  }

  #checkComponents(
    stackName: string,
    current: Partial<Record<ComponentType, string>>,
    changes: StackComponentIds,
  ): Partial<Record<ComponentType, string>> {
    const ids: Partial<Record<ComponentType, string>> = { ...current }
    for (const [type, componentId] of Object.entries(changes) as Array<[ComponentType, string | null]>) {
      if (!COMPONENT_TYPES.includes(type)) {
        throw new StrataError('UNKNOWN_COMPONENT_TYPE', `unknown component type '${type}'`)
      }
      if (componentId === null) {
        delete ids[type]
        continue
      }
      const component = this.#components.findById(componentId)
      if (!component || component.type !== type) {
        throw new StrataError(
          'COMPONENT_NOT_FOUND',
          `no ${label(type)} with id '${componentId}' — see 'strata ${componentCliName(type)} list'`,
        )
      }
      ids[type] = componentId
    }
    const missing = REQUIRED_COMPONENT_TYPES.filter((type) => ids[type] === undefined)
    if (missing.length > 0) {
      throw new StrataError(
        'INVALID_STACK',
        `stack '${stackName}' needs ${missing.map((type) => `an ${label(type)}`).join(' and ')} — pass ${missing.map((type) => `--${componentCliName(type)} NAME`).join(' and ')}`,
        { details: { stack: stackName, missing } },
      )
    }
    return ids
  }

  #withComponents(rows: StackRow[]): StackRecord[] {
    if (rows.length === 0) return []
    const placeholders = rows.map(() => '?').join(', ')
    const links = this.#store.all<ComponentRow & { stack_id: string }>(
      `SELECT sc.stack_id, c.* FROM stack_components sc JOIN components c ON c.id = sc.component_id
       WHERE sc.stack_id IN (${placeholders})`,
      ...rows.map((row) => row.id),
    )
    return rows.map((row) => {
      const stack: StackRecord = {
        id: row.id,
        name: row.name,
        description: row.description ?? undefined,
        components: {},
        createdAt: row.created_at,
        updatedAt: row.updated_at,
      }
      for (const link of links) {
        if (link.stack_id === row.id) stack.components[link.type as ComponentType] = componentFromRow(link)
      }
      return stack
    })
  }
}
