import { UsageError } from '../command.js'
import type { Io } from './io.js'

export type OutputFormat = 'table' | 'json' | 'yaml'

/** `--output` as given (table when absent). */
export function outputFormat(value: unknown, command: string): OutputFormat {
  if (value === undefined) return 'table'
  if (value === 'table' || value === 'json' || value === 'yaml') return value
  throw new UsageError(`--output must be table, json or yaml, got '${String(value)}'`, command)
}

/** Prints data for scripts as JSON or YAML (the YAML library loads only when asked for). */
export async function printData(io: Io, format: 'json' | 'yaml', data: unknown): Promise<void> {
  if (format === 'json') {
    io.out(JSON.stringify(data, null, 2))
    return
  }
  const { stringify } = await import('yaml')
  io.out(stringify(data).trimEnd())
}

/** One page of a list, as `--size`/`--page` ask for it. */
export interface Page {
  page: number
  size: number
  total: number
  totalPages: number
  offset: number
}

/** The page `--page`/`--size` select. @default page 1 of 20 */
export function pageOf(options: { page?: unknown; size?: unknown }, total: number, command: string): Page {
  const size = options.size === undefined ? 20 : Number(options.size)
  const page = options.page === undefined ? 1 : Number(options.page)
  if (size < 1) throw new UsageError('--size must be at least 1', command)
  if (page < 1) throw new UsageError('--page must be at least 1', command)
  return { page, size, total, totalPages: Math.max(1, Math.ceil(total / size)), offset: (page - 1) * size }
}

/** The footer under a table that is one page of several. */
export function pageFooter(io: Io, page: Page, noun: string): void {
  if (page.totalPages > 1 || page.page > 1) {
    io.note(
      io.style(
        `Page ${page.page} of ${page.totalPages} (${page.total} ${noun}); use --page and --size to see more.`,
        'dim',
      ),
    )
  }
}

/** `{ page, size, totalPages, total }`, as every list's JSON/YAML output carries it. */
export function paginationOf(page: Page): Omit<Page, 'offset'> {
  return { page: page.page, size: page.size, totalPages: page.totalPages, total: page.total }
}
