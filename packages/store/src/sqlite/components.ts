import { type ComponentType, componentCliName, StrataError } from '@strata/core/base'
import { crypto } from '../lazy-crypto.js'
import type {
  ComponentListOptions,
  ComponentRecord,
  ComponentRepository,
  NewComponent,
} from '../repositories/components.js'
import { checkName } from '../repositories/list-options.js'
import { listClause } from './list-clause.js'
import type { Synchronous } from './queued-repository.js'
import { now, readBack, type SqliteDatabase } from './sqlite-database.js'

/** A `components` row as SQLite returns it. */
export interface ComponentRow {
  id: string
  type: string
  name: string
  flavor: string
  config: string
  plugin: string
  plugin_version: string
  created_at: string
  updated_at: string
}

const SORT_COLUMNS = { name: 'name', flavor: 'flavor', created: 'created_at', updated: 'updated_at' }

/** A `components` row as a record. */
export function componentFromRow(row: ComponentRow): ComponentRecord {
  return {
    id: row.id,
    type: row.type as ComponentType,
    name: row.name,
    flavor: row.flavor,
    config: JSON.parse(row.config) as Record<string, unknown>,
    plugin: row.plugin,
    pluginVersion: row.plugin_version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

function label(type: ComponentType): string {
  return type.replace('_', ' ')
}

/** Stack components in SQLite. */
export class SqliteComponentRepository implements Synchronous<ComponentRepository> {
  readonly #store: SqliteDatabase

  constructor(store: SqliteDatabase) {
    this.#store = store
  }

  list(options: ComponentListOptions = {}): ComponentRecord[] {
    const { where, params } = this.#filter(options)
    return this.#store
      .all<ComponentRow>(`SELECT * FROM components${where}${listClause(options, SORT_COLUMNS)}`, ...params)
      .map(componentFromRow)
  }

  count(options: Pick<ComponentListOptions, 'type' | 'flavor'> = {}): number {
    const { where, params } = this.#filter(options)
    return this.#store.count(`SELECT COUNT(*) AS n FROM components${where}`, ...params)
  }

  #filter(options: Pick<ComponentListOptions, 'type' | 'flavor'>): { where: string; params: unknown[] } {
    const conditions: string[] = []
    const params: unknown[] = []
    if (options.type !== undefined) {
      conditions.push('type = ?')
      params.push(options.type)
    }
    if (options.flavor !== undefined) {
      conditions.push('flavor = ?')
      params.push(options.flavor)
    }
    return { where: conditions.length ? ` WHERE ${conditions.join(' AND ')}` : '', params }
  }

  /** By id. */
  findById(id: string): ComponentRecord | undefined {
    const row = this.#store.get<ComponentRow>('SELECT * FROM components WHERE id = ?', id)
    return row && componentFromRow(row)
  }

  /** By name, else by id, else by a unique id prefix (at least 4 characters). */
  find(type: ComponentType, nameOrId: string): ComponentRecord | undefined {
    const byName = this.#store.get<ComponentRow>(
      'SELECT * FROM components WHERE type = ? AND name = ?',
      type,
      nameOrId,
    )
    if (byName) return componentFromRow(byName)
    if (nameOrId.length < 4) return undefined
    const byId = this.#store.all<ComponentRow>(
      "SELECT * FROM components WHERE type = ? AND id LIKE ? || '%' ESCAPE '\\' LIMIT 2",
      type,
      nameOrId.replaceAll(/[\\%_]/g, (char) => `\\${char}`),
    )
    return byId.length === 1 && byId[0] ? componentFromRow(byId[0]) : undefined
  }

  /**
   * @throws StrataError `COMPONENT_NOT_FOUND` with how to list the components of that type
   */
  get(type: ComponentType, nameOrId: string): ComponentRecord {
    const found = this.find(type, nameOrId)
    if (found) return found
    throw new StrataError(
      'COMPONENT_NOT_FOUND',
      `no ${label(type)} named '${nameOrId}' — see 'strata ${componentCliName(type)} list', or register it with 'strata ${componentCliName(type)} register ${nameOrId} --flavor FLAVOR'`,
      { details: { type, name: nameOrId } },
    )
  }

  /**
   * @throws StrataError `INVALID_NAME`, `COMPONENT_EXISTS`
   */
  create(component: NewComponent): ComponentRecord {
    checkName(label(component.type), component.name)
    this.#refuseTaken(component.type, component.name)
    const id = crypto().randomUUID()
    const at = now()
    this.#store.run(
      `INSERT INTO components (id, type, name, flavor, config, plugin, plugin_version, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      id,
      component.type,
      component.name,
      component.flavor,
      JSON.stringify(component.config),
      component.plugin,
      component.pluginVersion,
      at,
      at,
    )
    return readBack(this.findById(id), `component ${id}`)
  }

  /**
   * Changes a component's config (already validated by its flavor), its name, or the plugin that now
   * provides its flavor. The flavor itself never changes: register a new component instead.
   * @throws StrataError `COMPONENT_NOT_FOUND`, `INVALID_NAME`, `COMPONENT_EXISTS`
   */
  update(
    id: string,
    changes: Partial<Pick<ComponentRecord, 'name' | 'config' | 'plugin' | 'pluginVersion'>>,
  ): ComponentRecord {
    const current = this.findById(id)
    if (!current) {
      throw new StrataError(
        'COMPONENT_NOT_FOUND',
        `no component with id '${id}' — list them with 'strata stack describe'`,
      )
    }
    if (changes.name !== undefined && changes.name !== current.name) {
      checkName(label(current.type), changes.name)
      this.#refuseTaken(current.type, changes.name)
    }
    this.#store.run(
      'UPDATE components SET name = ?, config = ?, plugin = ?, plugin_version = ?, updated_at = ? WHERE id = ?',
      changes.name ?? current.name,
      JSON.stringify(changes.config ?? current.config),
      changes.plugin ?? current.plugin,
      changes.pluginVersion ?? current.pluginVersion,
      now(),
      id,
    )
    return readBack(this.findById(id), `component ${id}`)
  }

  /** Names of the stacks that use the component, sorted. */
  stacksUsing(id: string): string[] {
    return this.#store
      .all<{ name: string }>(
        `SELECT s.name FROM stacks s JOIN stack_components sc ON sc.stack_id = s.id
         WHERE sc.component_id = ? ORDER BY s.name`,
        id,
      )
      .map((row) => row.name)
  }

  /**
   * @throws StrataError `COMPONENT_IN_USE` naming the stacks that use it
   */
  delete(id: string): void {
    const component = this.findById(id)
    if (!component) return
    const stacks = this.stacksUsing(id)
    if (stacks.length > 0) {
      const cli = componentCliName(component.type)
      throw new StrataError(
        'COMPONENT_IN_USE',
        `${label(component.type)} '${component.name}' is used by stack${stacks.length > 1 ? 's' : ''} ${stacks.map((name) => `'${name}'`).join(', ')} — give ${stacks.length > 1 ? 'them' : 'it'} another ${label(component.type)} ('strata stack update ${stacks[0]} --${cli} OTHER') or delete ${stacks.length > 1 ? 'them' : 'it'} first`,
        { details: { type: component.type, name: component.name, stacks } },
      )
    }
    this.#store.run('DELETE FROM components WHERE id = ?', id)
  }

  #refuseTaken(type: ComponentType, name: string): void {
    if (!this.#store.get('SELECT 1 FROM components WHERE type = ? AND name = ?', type, name)) return
    throw new StrataError(
      'COMPONENT_EXISTS',
      `${label(type)} '${name}' already exists — choose another name, or change it with 'strata ${componentCliName(type)} update ${name}'`,
      { details: { type, name } },
    )
  }
}
