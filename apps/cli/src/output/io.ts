import { MASK } from './mask.js'

export interface IoOptions {
  stdout?: NodeJS.WriteStream
  stderr?: NodeJS.WriteStream
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
  readonly #stdout: NodeJS.WriteStream
  readonly #stderr: NodeJS.WriteStream
  readonly #secrets = new Set<string>()
  readonly color: boolean
  readonly isTTY: boolean

  constructor(options: IoOptions = {}) {
    this.#stdout = options.stdout ?? process.stdout
    this.#stderr = options.stderr ?? process.stderr
    const env = options.env ?? process.env
    this.isTTY = this.#stdout.isTTY === true
    this.color = this.isTTY && !options.noColor && env.NO_COLOR === undefined && env.TERM !== 'dumb'
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
