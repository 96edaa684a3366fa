import { describe, expect, it } from 'vitest'
import { Io } from './io.js'
import { printTable } from './table.js'

function stream(isTTY: boolean, columns = 40) {
  const chunks: string[] = []
  return {
    chunks,
    stream: { isTTY, columns, write: (chunk: string) => chunks.push(chunk) } as unknown as NodeJS.WriteStream,
  }
}

describe('Io', () => {
  it('colours only on a terminal, and never with NO_COLOR or --no-color', () => {
    const tty = stream(true)
    expect(new Io({ stdout: tty.stream, env: {} }).color).toBe(true)
    expect(new Io({ stdout: tty.stream, env: { NO_COLOR: '1' } }).color).toBe(false)
    expect(new Io({ stdout: tty.stream, env: {}, noColor: true }).color).toBe(false)
    expect(new Io({ stdout: stream(false).stream, env: {} }).color).toBe(false)
  })

  it('scrubs every registered secret value from stdout and stderr, errors on one line', () => {
    const out = stream(false)
    const err = stream(false)
    const io = new Io({ stdout: out.stream, stderr: err.stream, env: {} })
    io.sensitive('hunter22')
    io.out('the value is hunter22')
    io.error('failed:\n  hunter22 was wrong — fix it')
    expect(out.chunks.join('')).toBe('the value is ********\n')
    expect(err.chunks.join('')).toBe('Error: failed: ******** was wrong — fix it\n')
  })

  it('sizes tables to the terminal, cutting the widest column first', () => {
    const out = stream(true, 30)
    const io = new Io({ stdout: out.stream, env: { NO_COLOR: '1' } })
    printTable(
      io,
      [
        { header: 'NAME', value: (row: string[]) => row[0]! },
        { header: 'DESCRIPTION', value: (row) => row[1]! },
      ],
      [['short', 'a description that is far too long for thirty columns']],
    )
    const lines = out.chunks.join('').trimEnd().split('\n')
    expect(lines[1]).toBe('short  a description that is …')
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(30)
  })
})
