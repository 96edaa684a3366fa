import type { Io } from './io.js'

export interface Column<Row> {
  header: string
  value(row: Row): string
  /** May be cut (with …) to fit the terminal. @default true */
  shrink?: boolean
}

/**
 * Prints rows as an aligned table sized to the terminal: when too wide, the widest shrinkable columns are
 * cut first. Not cut when stdout is not a terminal. Cells are neutralised before they are measured, so a
 * control character shown as `\u001b` keeps its column aligned.
 */
export function printTable<Row>(io: Io, columns: ReadonlyArray<Column<Row>>, rows: readonly Row[]): void {
  // Display width ignoring colour codes.
  const width = (text: string): number => io.plain(text).length
  const cut = (text: string, size: number): string => {
    if (width(text) <= size) return text
    return size <= 1 ? text.slice(0, size) : `${text.slice(0, size - 1)}…`
  }
  const cells = rows.map((row) =>
    columns.map((column) =>
      io.inert(
        column
          .value(row)
          .replaceAll(/\s*\n\s*/g, ' ')
          .replaceAll('\t', ' '),
      ),
    ),
  )

  const widths = columns.map((column, index) =>
    Math.max(width(column.header), ...cells.map((row) => width(row[index]!))),
  )
  const gap = 2
  const available = io.columns
  if (available !== undefined) {
    let total = widths.reduce((sum, size) => sum + size, 0) + gap * (columns.length - 1)
    while (total > available) {
      let widest = -1
      for (const [index, column] of columns.entries()) {
        if (column.shrink === false || widths[index]! <= Math.max(6, width(column.header))) continue
        if (widest === -1 || widths[index]! > widths[widest]!) widest = index
      }
      if (widest === -1) break
      widths[widest]!--
      total--
    }
  }
  const line = (values: string[], header: boolean): string =>
    values
      .map((value, index) => {
        const text = cut(value, widths[index]!)
        const padded = index === values.length - 1 ? text : text + ' '.repeat(widths[index]! - width(text))
        return header ? io.style(padded, 'bold') : padded
      })
      .join(' '.repeat(gap))
      .trimEnd()
  io.out(
    line(
      columns.map((column) => column.header),
      true,
    ),
  )
  for (const row of cells) io.out(line(row, false))
}

/** `KEY  value` lines, keys aligned. */
export function printFields(io: Io, fields: ReadonlyArray<[string, string]>, indent = ''): void {
  const size = Math.max(0, ...fields.map(([key]) => key.length))
  for (const [key, value] of fields) io.out(`${indent}${io.style(key.padEnd(size), 'bold')}  ${value}`)
}
