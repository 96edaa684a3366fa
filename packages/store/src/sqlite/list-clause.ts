import { type ListOptions, parseSort } from '../repositories/list-options.js'

/**
 * Turns `sort`/`limit`/`offset` into an `ORDER BY ... LIMIT ... OFFSET ...` clause over whitelisted columns.
 * @throws StrataError `INVALID_SORT` naming the sortable fields
 */
export function listClause(options: ListOptions, columns: Readonly<Record<string, string>>): string {
  const { field, descending } = parseSort(options.sort ?? 'name', Object.keys(columns))
  let clause = ` ORDER BY ${columns[field]} ${descending ? 'DESC' : 'ASC'}, id ASC`
  if (options.limit !== undefined) clause += ` LIMIT ${Math.max(0, Math.trunc(options.limit))}`
  if (options.offset !== undefined) {
    if (options.limit === undefined) clause += ' LIMIT -1'
    clause += ` OFFSET ${Math.max(0, Math.trunc(options.offset))}`
  }
  return clause
}
