import { closeSync, fstatSync, openSync, readSync } from 'node:fs'
import { StrataError } from '@strata/core'

/**
 * The most a configuration file a user hands Strata may hold — a stack file (`strata stack import`), a run
 * configuration (`--config`): 1 MiB, a thousand times a real one. A larger file is refused before it is
 * read, so a wrong path (a data set, a log) costs a stat instead of a parse of gigabytes.
 */
export const INPUT_FILE_LIMIT = 1024 * 1024

/** `512 KiB`, `5.0 MiB`, `1 MiB` */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`
  const [size, unit] = bytes < 1024 * 1024 ? [bytes / 1024, 'KiB'] : [bytes / 1024 / 1024, 'MiB']
  return `${size.toFixed(1).replace(/\.0$/, '')} ${unit}`
}

export interface ReadInputFileOptions {
  /** What the file is, for the message: `stack file`, `run config`. */
  what: string
  /** How to fix a file that is too large, ending the message. */
  fix: string
  /** @default INPUT_FILE_LIMIT */
  limit?: number
}

/**
 * Reads a text file a user named, refusing one larger than the limit before reading it: by its size, or —
 * for a pipe or a device, whose size is unknown — at the first byte past the limit. Never holds more than
 * the limit in memory.
 * @throws StrataError `INPUT_TOO_LARGE` naming the file, its size and the limit
 * @throws the file system's error (ENOENT, EISDIR, EACCES) for the caller to word
 */
export function readInputFile(path: string, options: ReadInputFileOptions): string {
  const limit = options.limit ?? INPUT_FILE_LIMIT
  const tooLarge = (size: string | undefined): StrataError =>
    new StrataError(
      'INPUT_TOO_LARGE',
      `${options.what} ${path} ${size ? `is ${size},` : 'holds'} more than the ${formatBytes(limit)} Strata reads — ${options.fix}`,
      { details: { path, limit } },
    )
  const fd = openSync(path, 'r')
  try {
    const stat = fstatSync(fd)
    if (stat.isFile() && stat.size > limit) {
      const size = formatBytes(stat.size)
      // Just past the limit: `1025 bytes`, not `1.0 KiB, more than the 1 KiB`.
      throw tooLarge(size === formatBytes(limit) ? `${stat.size} bytes` : size)
    }
    // One byte more than the limit: reading it proves the file too large (a pipe, or a file still growing).
    const buffer = Buffer.allocUnsafe(limit + 1)
    let length = 0
    while (length <= limit) {
      const read = readSync(fd, buffer, length, buffer.length - length, null)
      if (read === 0) break
      length += read
    }
    if (length > limit) throw tooLarge(undefined)
    return buffer.toString('utf8', 0, length)
  } finally {
    closeSync(fd)
  }
}
