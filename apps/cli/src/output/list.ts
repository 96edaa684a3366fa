// The one way a command prints a list: one page of rows (`--size`, `--page`) as a table with a page
// footer, or as `{items, pagination}` JSON/YAML for scripts.
import type { Options } from '../command.js'
import { UsageError } from '../errors.js'
import { type OutputFormat, outputOption, printData } from './format.js'
import type { Io } from './io.js'
import { type Column, printTable } from './table.js'

/** `--size`, `--page` for list commands. */
export const pageOptions = {
  size: { type: 'number', default: 20, placeholder: 'N', help: 'Rows per page (default 20)' },
  page: { type: 'number', default: 1, placeholder: 'N', help: 'Which page (default 1)' },
} as const satisfies Options

/** `--output`, `--size`, `--page`, `--sort` for lists that sort by `fields` (the first is the default). */
export function listOptions<const Field extends string>(fields: readonly [Field, ...Field[]]) {
  return {
    ...outputOption,
    ...pageOptions,
    sort: {
      default: fields[0],
      placeholder: 'FIELD',
      help: `Sort by ${fields.join(', ')}; -FIELD or desc:FIELD for descending (default ${fields[0]})`,
    },
  } as const satisfies Options
}

/** Which page to fetch: `--page` of `--size` rows. */
export interface PageRequest {
  page: number
  size: number
  offset: number
}

/** One page of a list, as `--size`/`--page` ask for it. */
interface Page extends PageRequest {
  total: number
  totalPages: number
}

/** The rows of a page, and how many rows there are in all. */
export interface Rows<Row> {
  items: readonly Row[]
  total: number
}

/**
 * The page `--page`/`--size` select.
 * @throws UsageError for a page or size below 1
 */
function pageRequest(options: { page: number; size: number }, command: string): PageRequest {
  if (options.size < 1) throw new UsageError('--size must be at least 1', command)
  if (options.page < 1) throw new UsageError('--page must be at least 1', command)
  return { page: options.page, size: options.size, offset: (options.page - 1) * options.size }
}

/** A page of rows held in memory. */
export function slicePage<Row>(rows: readonly Row[], page: PageRequest): Rows<Row> {
  return { items: rows.slice(page.offset, page.offset + page.size), total: rows.length }
}

/** What printList needs of a command: its io, its path, and the list options it declares. */
export interface ListContext {
  readonly io: Io
  readonly path: string
  readonly options: { readonly output: OutputFormat; readonly size: number; readonly page: number }
}

export interface ListSpec<Row> {
  /** Fetches one page of rows. */
  rows(page: PageRequest): Rows<Row> | Promise<Rows<Row>>
  /** The table's columns; a function when they depend on the rows shown. */
  columns: ReadonlyArray<Column<Row>> | ((rows: readonly Row[]) => ReadonlyArray<Column<Row>>)
  /** What the rows are, in the page footer: `runs`. */
  noun: string
  /**
   * Said on stderr instead of an empty table when there are no rows at all; a function when it depends on
   * more than this page (filters that match nothing, on a store that has rows).
   */
  empty?: string | (() => Promise<string>)
  /** The rows as JSON/YAML shows them. @default the rows themselves */
  items?(rows: readonly Row[]): unknown[] | Promise<unknown[]>
}

/**
 * Prints one page of a list: a table with a footer when there are more pages (stdout, footer on stderr),
 * or `{items, pagination: {page, size, totalPages, total}}` as JSON or YAML. Resolves with the exit code.
 * @throws UsageError for a page or size below 1
 */
export async function printList<Row>(context: ListContext, list: ListSpec<Row>): Promise<number> {
  const { io, options } = context
  const request = pageRequest(options, context.path)
  const { items: rows, total } = await list.rows(request)
  const page: Page = { ...request, total, totalPages: Math.max(1, Math.ceil(total / request.size)) }
  if (options.output !== 'table') {
    const items = list.items ? await list.items(rows) : rows
    const pagination = { page: page.page, size: page.size, totalPages: page.totalPages, total: page.total }
    await printData(io, options.output, { items, pagination })
    return 0
  }
  if (total === 0 && list.empty !== undefined) {
    io.note(typeof list.empty === 'string' ? list.empty : await list.empty())
    return 0
  }
  printTable(io, typeof list.columns === 'function' ? list.columns(rows) : list.columns, rows)
  if (page.totalPages > 1 || page.page > 1) {
    io.note(
      io.style(
        `Page ${page.page} of ${page.totalPages} (${page.total} ${list.noun}); use --page and --size to see more.`,
        'dim',
      ),
    )
  }
  return 0
}
