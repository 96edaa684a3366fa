import { MASK } from './mask.js'

const { fstatSync, writeSync } = process.getBuiltinModule('node:fs')

/**
 * Characters a terminal may obey instead of showing — C0 controls but newline and tab (which lay out what
 * is printed), DEL, C1 controls (U+009B is an 8-bit CSI), bidirectional embeddings, overrides and isolates,
 * and the line and paragraph separators: the set `@strata/core`'s quote() escapes, without loading core.
 */
const CONTROLS =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

/**
 * Text with every control character but newline and tab written out as `\u001b`: a name holding `ESC [31m`
 * or an OSC title shows as text and does nothing. `\u001b` is the escape a JSON string and a YAML
 * double-quoted one read back as the character, so neutralised JSON stays valid and means the same.
 */
export function neutralise(text: string): string {
  return text.replace(CONTROLS, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/** Whether the text holds a character neutralise() would write out. */
export function hasControlCharacter(text: string): boolean {
  CONTROLS.lastIndex = 0
  return CONTROLS.test(text)
}

/**
 * A random string of private-use characters that stands before each control character Io writes on
 * purpose (colours, the live view's cursor moves). Chosen per process, so no name, log line or stored value
 * can spell it: everything else that reaches the terminal is neutralised.
 */
function randomMark(): string {
  let mark = ''
  for (let index = 0; index < 6; index++)
    mark += String.fromCharCode(0xe000 + Math.floor(Math.random() * 0x1900))
  return mark
}

/** Longest error line printed: a message quoting a 5 MB input is cut in its middle (the fix is at its end). */
const ERROR_LIMIT = 4096

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
 * `********`, so not even an unexpected error can echo one; then every control character is neutralised
 * (`\u001b`), except the ones Io itself adds through style() and control(). Colour only on a TTY and never
 * with NO_COLOR.
 */
export class Io {
  readonly #stdout: Output
  readonly #stderr: Output
  readonly #secrets = new Set<string>()
  readonly #env: NodeJS.ProcessEnv
  readonly #noColor: boolean
  readonly #mark = randomMark()
  #sequences: RegExp | undefined
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
      (styled, style) =>
        `${this.control(`\u001b[${CODES[style][0]}m`)}${styled}${this.control(`\u001b[${CODES[style][1]}m`)}`,
      text,
    )
  }

  /**
   * A terminal control sequence (`ESC [2J`, a carriage return) that this output means to send: it passes
   * neutralisation, where the same characters from any other text are shown as `\u001b`.
   */
  control(sequence: string): string {
    return sequence.replace(CONTROLS, (character) => `${this.#mark}${character}`)
  }

  /** The text as a terminal shows it, without the sequences of style() and control(): for measuring widths. */
  plain(text: string): string {
    if (!text.includes(this.#mark)) return text
    this.#sequences ??= new RegExp(`${this.#mark}\u001b\\[[0-9;?]*[A-Za-z]|${this.#mark}.`, 'gs')
    return text.replace(this.#sequences, '')
  }

  /**
   * The text with every control character neutralised (`\u001b`) but the ones control() marked, which stay
   * marked: what tables and the live view measure before they print.
   */
  inert(text: string): string {
    if (!text.includes(this.#mark)) return neutralise(text)
    const [first = '', ...marked] = text.split(this.#mark)
    let inert = neutralise(first)
    for (const part of marked) inert += `${this.#mark}${part.slice(0, 1)}${neutralise(part.slice(1))}`
    return inert
  }

  /** Writes to the terminal: control characters neutralised, the marked ones sent. */
  #write(output: Output, text: string): void {
    const inert = this.inert(text)
    output.write(inert.includes(this.#mark) ? inert.replaceAll(this.#mark, '') : inert)
  }

  /** Writes lines to stdout. */
  out(text = ''): void {
    this.#write(this.#stdout, `${this.scrub(text)}\n`)
  }

  /**
   * Writes revealed secret values to stdout, deliberately bypassing the scrubber (`secret get --reveal`);
   * their control characters are neutralised like everything else.
   */
  reveal(text: string): void {
    this.#write(this.#stdout, `${text}\n`)
  }

  /** A message for the user on stderr (progress, notes), so stdout stays clean for scripts. */
  note(text: string): void {
    this.#write(this.#stderr, `${this.scrub(text)}\n`)
  }

  warn(text: string): void {
    this.#write(this.#stderr, `${this.style('warning:', 'yellow', 'bold')} ${this.scrub(text)}\n`)
  }

  /**
   * One line: what failed and how to fix it. A line longer than 4096 characters (an error quoting a huge
   * input without core's quote()) keeps its start and its end, where the fix is.
   */
  error(text: string): void {
    let line = this.scrub(text).replaceAll(/\s*\n\s*/g, ' ')
    if (line.length > ERROR_LIMIT) {
      const cut = line.length - ERROR_LIMIT
      line = `${line.slice(0, ERROR_LIMIT - 1024)} …(${cut} characters cut)… ${line.slice(-1024)}`
    }
    this.#write(this.#stderr, `${this.style('Error:', 'red', 'bold')} ${line}\n`)
  }
}
