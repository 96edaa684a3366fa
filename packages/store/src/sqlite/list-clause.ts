import { type ListOptions, parseSort } from '../repositories/list-options.js'

/**
 * A row count as SQL takes it: a whole number from 0 to 2^53 - 1. A larger one (page 1e15 of 1e15 rows)
 * would be written as `1e+30`, a real, which SQLite refuses in LIMIT ("datatype mismatch"); no store holds
 * that many rows, so the clamped count means the same.
 */
function rowCount(value: number): number {
  return Number.isNaN(value) ? 0 : Math.min(Number.MAX_SAFE_INTEGER, Math.max(0, Math.trunc(value)))
}

/**
 * Turns `sort`/`limit`/`offset` into an `ORDER BY ... LIMIT ... OFFSET ...` clause over whitelisted columns.
 * @throws StrataError `INVALID_SORT` naming the sortable fields
 */
export function listClause(options: ListOptions, columns: Readonly<Record<string, string>>): string {
  const { field, descending } = parseSort(options.sort ?? 'name', Object.keys(columns))
  let clause = ` ORDER BY ${columns[field]} ${descending ? 'DESC' : 'ASC'}, id ASC`
  if (options.limit !== undefined) clause += ` LIMIT ${rowCount(options.limit)}`
  if (options.offset !== undefined) {
    if (options.limit === undefined) clause += ' LIMIT -1'
    clause += ` OFFSET ${rowCount(options.offset)}`
  }
  return clause
}

/**
 * One page as SQL takes it: `page` and `size` from 1, and `offset`, the number of rows before the page,
 * each a whole number SQLite binds as an integer (see `rowCount`).
 */
export function pageWindow(options: { page?: number; size?: number }): {
  page: number
  size: number
  offset: number
} {
  const page = Math.max(1, rowCount(options.page ?? 1))
  const size = Math.max(1, rowCount(options.size ?? 20))
  return { page, size, offset: rowCount((page - 1) * size) }
}
