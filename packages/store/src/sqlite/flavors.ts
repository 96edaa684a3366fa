import { type ComponentType, componentCliName, StrataError } from '@strata/core/base'
import type { FlavorRecord, FlavorRepository } from '../repositories/flavors.js'
import type { Synchronous } from './queued-repository.js'
import { now, readBack, type SqliteDatabase } from './sqlite-database.js'

interface FlavorRow {
  id: string
  type: string
  name: string
  module: string
  api_version: number
  description: string
  is_local: number
  is_remote: number
  config_schema: string
  settings_schema: string | null
  created_at: string
}

function toRecord(row: FlavorRow): FlavorRecord {
  return {
    type: row.type as ComponentType,
    name: row.name,
    apiVersion: row.api_version,
    description: row.description,
    isLocal: row.is_local === 1,
    isRemote: row.is_remote === 1,
    module: row.module,
    configSchema: JSON.parse(row.config_schema) as Record<string, unknown>,
    ...(row.settings_schema === null
      ? {}
      : { settingsSchema: JSON.parse(row.settings_schema) as Record<string, unknown> }),
    createdAt: row.created_at,
  }
}

/** The custom flavor catalogue in SQLite. */
export class SqliteFlavorRepository implements Synchronous<FlavorRepository> {
  readonly #store: SqliteDatabase

  constructor(store: SqliteDatabase) {
    this.#store = store
  }

  /** Every custom flavor, or those of one type, sorted by type and name. */
  list(type?: ComponentType): FlavorRecord[] {
    const rows =
      type === undefined
        ? this.#store.all<FlavorRow>('SELECT * FROM flavors ORDER BY type, name')
        : this.#store.all<FlavorRow>('SELECT * FROM flavors WHERE type = ? ORDER BY name', type)
    return rows.map(toRecord)
  }

  find(type: ComponentType, name: string): FlavorRecord | undefined {
    const row = this.#store.get<FlavorRow>('SELECT * FROM flavors WHERE type = ? AND name = ?', type, name)
    return row && toRecord(row)
  }

  /**
   * Records a custom flavor, or refreshes it when the same module registers it again (a changed schema).
   * @throws StrataError `FLAVOR_EXISTS` when another module already registered that flavor
   */
  register(flavor: Omit<FlavorRecord, 'createdAt'>): FlavorRecord {
    const existing = this.find(flavor.type, flavor.name)
    if (existing && existing.module !== flavor.module) {
      throw new StrataError(
        'FLAVOR_EXISTS',
        `custom ${flavor.type} flavor '${flavor.name}' is already registered from ${existing.module} — delete it first ('strata ${componentCliName(flavor.type)} flavor delete ${flavor.name}') or give yours another name`,
        { details: { type: flavor.type, flavor: flavor.name } },
      )
    }
    this.#store.run(
      `INSERT INTO flavors (id, type, name, module, api_version, description, is_local, is_remote,
         config_schema, settings_schema, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (type, name) DO UPDATE SET api_version = excluded.api_version,
         description = excluded.description, is_local = excluded.is_local, is_remote = excluded.is_remote,
         config_schema = excluded.config_schema, settings_schema = excluded.settings_schema`,
      `${flavor.type}/${flavor.name}`,
      flavor.type,
      flavor.name,
      flavor.module,
      flavor.apiVersion,
      flavor.description,
      flavor.isLocal ? 1 : 0,
      flavor.isRemote ? 1 : 0,
      JSON.stringify(flavor.configSchema),
      flavor.settingsSchema === undefined ? null : JSON.stringify(flavor.settingsSchema),
      now(),
    )
    return readBack(this.find(flavor.type, flavor.name), `flavor ${flavor.type}/${flavor.name}`)
  }

  /**
   * Forgets a custom flavor.
   * @throws StrataError `FLAVOR_NOT_FOUND`, or `FLAVOR_IN_USE` naming the components of that flavor
   */
  delete(type: ComponentType, name: string): void {
    if (!this.find(type, name)) {
      throw new StrataError(
        'FLAVOR_NOT_FOUND',
        `no custom ${type} flavor named '${name}' — only flavors registered with 'strata ${componentCliName(type)} flavor register' can be deleted; see 'strata ${componentCliName(type)} flavor list'`,
        { details: { type, flavor: name } },
      )
    }
    const users = this.#store
      .all<{ name: string }>(
        'SELECT name FROM components WHERE type = ? AND flavor = ? ORDER BY name',
        type,
        name,
      )
      .map((row) => row.name)
    if (users.length > 0) {
      throw new StrataError(
        'FLAVOR_IN_USE',
        `custom ${type} flavor '${name}' is used by ${users.map((user) => `'${user}'`).join(', ')} — delete ${users.length > 1 ? 'those components' : 'that component'} first ('strata ${componentCliName(type)} delete ${users[0]}')`,
        { details: { type, flavor: name, components: users } },
      )
    }
    this.#store.run('DELETE FROM flavors WHERE type = ? AND name = ?', type, name)
  }
}
