import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { formatBytes, INPUT_FILE_LIMIT, readInputFile } from './read-input-file.js'

const directory = mkdtempSync(join(tmpdir(), 'strata-read-input-'))
afterAll(() => rmSync(directory, { recursive: true, force: true }))
const options = { what: 'stack file', fix: 'check the path' }

describe('readInputFile', () => {
  it('reads a file up to the limit', () => {
    const file = join(directory, 'ok.yaml')
    writeFileSync(file, 'é'.repeat(512))
    expect(readInputFile(file, { ...options, limit: 1024 })).toBe('é'.repeat(512))
  })

  it('refuses a larger file by its size, naming the file, its size and the limit', () => {
    const file = join(directory, 'big.yaml')
    // Sparse: 50 MiB that take no disk and would take seconds to parse.
    writeFileSync(file, '')
    truncateSync(file, 50 * 1024 * 1024)
    expect(() => readInputFile(file, options)).toThrow(
      expect.objectContaining({
        code: 'INPUT_TOO_LARGE',
        message: `stack file ${file} is 50 MiB, more than the 1 MiB Strata reads — check the path`,
      }),
    )
    const small = join(directory, 'small-limit.yaml')
    writeFileSync(small, 'x'.repeat(1025))
    expect(() => readInputFile(small, { ...options, limit: 1024 })).toThrow(
      /is 1025 bytes, more than the 1 KiB/,
    )
  })

  it('refuses an endless stream at the first byte past the limit', () => {
    expect(() => readInputFile('/dev/zero', { ...options, limit: 4096 })).toThrow(
      'stack file /dev/zero holds more than the 4 KiB Strata reads — check the path',
    )
  })

  it("passes the file system's error on", () => {
    expect(() => readInputFile(join(directory, 'nowhere.yaml'), options)).toThrow(
      expect.objectContaining({ code: 'ENOENT' }),
    )
  })

  it('says sizes the way people read them', () => {
    expect(formatBytes(INPUT_FILE_LIMIT)).toBe('1 MiB')
    expect(formatBytes(5 * 1024 * 1024 + 100_000)).toBe('5.1 MiB')
    expect(formatBytes(2048)).toBe('2 KiB')
    expect(formatBytes(12)).toBe('12 bytes')
  })
})
