import { MASK } from './mask.js'

const { fstatSync, writeSync } = process.getBuiltinModule('node:fs')

/** What Io writes to: process.stdout-like. */
export interface Output {
  readonly isTTY?: boolean
  readonly columns?: number
  write(text: string): unknown
}

/**
 * Standard output or error written with `fs.writeSync`. Touching `process.stdout` builds a stream (and
 * loads `node:tty` and `node:net`): about 4 ms, an eighth of the budget of `strata stack list`. This
 * checks for a terminal with one `fstat` (only a character device can be one) and builds Node's stream
 * only for a terminal, which needs it for its width.
 */
class FdOutput implements Output {
  readonly #fd: 1 | 2
  #terminal: boolean | undefined

  constructor(fd: 1 | 2) {
    this.#fd = fd
  }

  get isTTY(): boolean {
    if (this.#terminal === undefined) {
      try {
        this.#terminal =
          fstatSync(this.#fd).isCharacterDevice() && process.getBuiltinModule('node:tty').isatty(this.#fd)
      } catch {
        this.#terminal = false
      }
    }
    return this.#terminal
  }

  get columns(): number | undefined {
    return this.isTTY ? (this.#fd === 1 ? process.stdout : process.stderr).columns : undefined
  }

  write(text: string): void {
    const bytes = Buffer.from(text)
    for (let offset = 0; offset < bytes.length; ) {
      try {
        offset += writeSync(this.#fd, bytes, offset)
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code
        if (code === 'EPIPE') return // the reader went away (`strata stack list | head -1`)
        if (code !== 'EAGAIN') throw error
      }
    }
  }
}

export interface IoOptions {
  stdout?: Output
  stderr?: Output
  env?: NodeJS.ProcessEnv
  /** `--no-color` */
  noColor?: boolean
}

type Style = 'bold' | 'dim' | 'red' | 'green' | 'yellow' | 'cyan'
const CODES: Record<Style, [number, number]> = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
}

/**
 * The CLI's only way to print. Everything written passes through a scrubber that replaces every secret
 * value the command has seen (given on its command line, typed at a prompt, or read from the store) with
 * `********`, so not even an unexpected error can echo one. Colour only on a TTY and never with NO_COLOR.
 */
export class Io {
  readonly #stdout: Output
  readonly #stderr: Output
  readonly #secrets = new Set<string>()
  readonly #env: NodeJS.ProcessEnv
  readonly #noColor: boolean
  #color: boolean | undefined

  constructor(options: IoOptions = {}) {
    this.#stdout = options.stdout ?? new FdOutput(1)
    this.#stderr = options.stderr ?? new FdOutput(2)
    this.#env = options.env ?? process.env
    this.#noColor = options.noColor === true
  }

  /** Output goes to a terminal. */
  get isTTY(): boolean {
    return this.#stdout.isTTY === true
  }

  /** Colours: only on a terminal, never with NO_COLOR, --no-color or TERM=dumb. */
  get color(): boolean {
    this.#color ??=
      !this.#noColor && this.#env.NO_COLOR === undefined && this.#env.TERM !== 'dumb' && this.isTTY
    return this.#color
  }

  /** The terminal's width, or `undefined` when output is not a terminal (then tables are not cut). */
  get columns(): number | undefined {
    return this.isTTY ? this.#stdout.columns || 80 : undefined
  }

  /** Registers a secret value: from now on it never reaches stdout or stderr. */
  sensitive(value: string): void {
    // Very short values would mask ordinary words; they are still never printed by design.
    if (value.length >= 4) this.#secrets.add(value)
  }

  scrub(text: string): string {
    let clean = text
    for (const value of this.#secrets) clean = clean.split(value).join(MASK)
    return clean
  }

  style(text: string, ...styles: Style[]): string {
    if (!this.color) return text
    return styles.reduce(
      (styled, style) => `\u001b[${CODES[style][0]}m${styled}\u001b[${CODES[style][1]}m`,
      text,
    )
  }

  /** Writes lines to stdout. */
  out(text = ''): void {
    this.#stdout.write(`${this.scrub(text)}\n`)
  }

  /** Writes revealed secret values to stdout, deliberately bypassing the scrubber (`secret get --reveal`). */
  reveal(text: string): void {
    this.#stdout.write(`${text}\n`)
  }

  /** A message for the user on stderr (progress, notes), so stdout stays clean for scripts. */
  note(text: string): void {
    this.#stderr.write(`${this.scrub(text)}\n`)
  }

  warn(text: string): void {
    this.#stderr.write(`${this.style('warning:', 'yellow', 'bold')} ${this.scrub(text)}\n`)
  }

  /** One line: what failed and how to fix it. */
  error(text: string): void {
    const line = this.scrub(text).replaceAll(/\s*\n\s*/g, ' ')
    this.#stderr.write(`${this.style('Error:', 'red', 'bold')} ${line}\n`)
  }
}
