import { parseSort } from '@strata/store'
import { type Page, pageOf } from './format.js'

/**
 * Sorts and pages rows held in memory (flavors, integrations) as the store sorts and pages its lists:
 * `--sort FIELD`, `-FIELD` or `desc:FIELD` over `fields` (ties keep the rows' order), then `--page`/`--size`.
 * Not in the kit: it loads the store's sort grammar, which `strata --help` must not.
 * @throws StrataError `INVALID_SORT` naming the sortable fields, as the store's lists do
 * @throws UsageError for a page or size below 1
 */
export function pageRows<Row>(
  rows: readonly Row[],
  options: { page?: unknown; size?: unknown; sort?: unknown },
  fields: Readonly<Record<string, (row: Row) => string>>,
  command: string,
): { rows: Row[]; page: Page } {
  const sort = options.sort === undefined ? 'name' : String(options.sort)
  const { field, descending } = parseSort(sort, Object.keys(fields))
  const key = fields[field]!
  const sorted = [...rows].sort((a, b) => (descending ? -1 : 1) * key(a).localeCompare(key(b)))
  const page = pageOf(options, sorted.length, command)
  return { rows: sorted.slice(page.offset, page.offset + page.size), page }
}
