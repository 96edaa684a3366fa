import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { printData } from './format.js'
import { Io, neutralise } from './io.js'
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

  describe('hostile text stays inert', () => {
    const ESC = '\u001b'
    const hostile = [
      `${ESC}[31mred${ESC}[0m`,
      `${ESC}]0;pwned\u0007`,
      `a\rb\bc\u0000d\u007f`,
      '\u009b2J\u0085',
      'abc\u202edef\u2066x\u2069\u2028',
    ]
    // Every control character but the newline that ends a line.
    const RAW =
      // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
      /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/

    it('writes every control character a name or message holds as \\u001b, on stdout and stderr', () => {
      const out = stream(false)
      const err = stream(false)
      const io = new Io({ stdout: out.stream, stderr: err.stream, env: {} })
      for (const text of hostile) {
        io.out(text)
        io.note(text)
        io.warn(text)
        io.error(text)
        io.reveal(text)
      }
      const written = out.chunks.join('') + err.chunks.join('')
      expect(written).not.toMatch(RAW)
      expect(out.chunks[0]).toBe('\\u001b[31mred\\u001b[0m\n')
      expect(err.chunks.at(-1)).toBe('Error: abc\\u202edef\\u2066x\\u2069\\u2028\n')
    })

    it('sends its own colours and control sequences, and neutralises the same bytes from the text', () => {
      const out = stream(true)
      const io = new Io({ stdout: out.stream, env: {} })
      io.out(`${io.style('ok', 'green')} ${ESC}[31mname${io.control(`\r${ESC}[2A${ESC}[J`)}`)
      expect(out.chunks.join('')).toBe(`${ESC}[32mok${ESC}[39m \\u001b[31mname\r${ESC}[2A${ESC}[J\n`)
    })

    it('keeps tables aligned around a neutralised cell', () => {
      const out = stream(false)
      const io = new Io({ stdout: out.stream, env: {} })
      const rows = [
        ['a', `${ESC}]0;x\u0007`],
        ['b', 'plain'],
      ]
      printTable(
        io,
        [
          { header: 'VALUE', value: (row: string[]) => row[1]! },
          { header: 'KEY', value: (row) => row[0]! },
        ],
        rows,
      )
      const lines = out.chunks.join('').trimEnd().split('\n')
      expect(lines).toEqual(['VALUE             KEY', '\\u001b]0;x\\u0007  a', 'plain             b'])
    })

    it('prints JSON and YAML that read back as the original values', async () => {
      const data = { items: hostile.map((name) => ({ name, [name]: name })) }
      for (const format of ['json', 'yaml'] as const) {
        const out = stream(false)
        await printData(new Io({ stdout: out.stream, env: {} }), format, data)
        const text = out.chunks.join('')
        expect(text).not.toMatch(RAW)
        expect(format === 'json' ? JSON.parse(text) : parse(text)).toEqual(data)
      }
    })

    it('prints one bounded error line, keeping the start and the fix at its end', () => {
      const err = stream(false)
      new Io({ stderr: err.stream, env: {} }).error(`cannot import ${'x'.repeat(5_000_000)} — fix it`)
      const line = err.chunks.join('')
      expect(line.length).toBeLessThan(4200)
      expect(line).toMatch(/^Error: cannot import x+ …\(4995927 characters cut\)… x+ — fix it\n$/)
    })

    it('neutralise() is idempotent', () => {
      for (const text of hostile) expect(neutralise(neutralise(text))).toBe(neutralise(text))
    })
  })
})
