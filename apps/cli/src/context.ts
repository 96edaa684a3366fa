import { resolve } from 'node:path'
import type { DiscoveryResult } from '@strata/sdk/internal'
import type { StrataWorkspace } from '@strata/sdk/stack-state'
import type { ParsedArgs } from './argv.js'
import { UsageError } from './command.js'
import type { Io } from './output/io.js'
import { cliVersion } from './version.js'

// Not `import ... from 'node:fs'`: building that ESM facade loads fs/promises (~3 ms), a tenth of the
// start-up budget of `strata stack list`; getBuiltinModule hands over the already-loaded module.
const { readFileSync } = process.getBuiltinModule('node:fs')

type Sdk = typeof import('@strata/sdk/internal')

/** Everything a command's `run` gets. Expensive things (the store, the SDK, discovery) load on first use. */
export class CommandContext {
  readonly path: string
  readonly args: ParsedArgs['args']
  readonly options: ParsedArgs['options']
  readonly extras: ParsedArgs['extras']
  readonly io: Io
  readonly cwd: string
  readonly env: NodeJS.ProcessEnv
  #workspace: StrataWorkspace | undefined
  #flavors: Promise<DiscoveryResult> | undefined
  #lines: AsyncIterator<string> | undefined
  /** Discovery warnings about flavors refused for their interface version, printed by flushWarnings(). */
  readonly #refusals: string[] = []

  constructor(init: { path: string; parsed: ParsedArgs; io: Io; cwd: string; env: NodeJS.ProcessEnv }) {
    this.path = init.path
    this.args = init.parsed.args
    this.options = init.parsed.options
    this.extras = init.parsed.extras
    this.io = init.io
    this.cwd = init.cwd
    this.env = init.env
  }

  /** The CLI's own version. */
  get version(): string {
    return cliVersion()
  }

  /** A string argument (positional or option). */
  arg(name: string): string | undefined {
    const value = this.args[name] ?? this.options[name]
    return value === undefined || typeof value === 'string' ? value : String(value)
  }

  /** The user's store and the project, opened once. */
  async workspace(): Promise<StrataWorkspace> {
    if (!this.#workspace) {
      const { openWorkspace } = await import('@strata/sdk/stack-state')
      this.#workspace = openWorkspace({ cwd: this.cwd, env: this.env })
    }
    return this.#workspace
  }

  /** The whole SDK (loads zod and the flavor machinery; not for start-up-critical commands). */
  sdk(): Promise<Sdk> {
    return import('@strata/sdk/internal')
  }

  /**
   * Every flavor this project can use, found once; discovery warnings are printed. Imports no plugin.
   * A flavor refused for its interface version is warned about at the end (flushWarnings), unless the
   * command fails with that very refusal: then it is the error, said once.
   */
  flavors(): Promise<DiscoveryResult> {
    this.#flavors ??= (async () => {
      const [sdk, workspace] = await Promise.all([this.sdk(), this.workspace()])
      const result = await sdk.discoverWorkspaceFlavors(workspace)
      // Optional: a project's own (handed-over) core of an older patch may not know refusals.
      const refused = new Set(result.registry.refusals?.().map((error) => error.message))
      for (const warning of result.warnings) {
        if (refused.has(warning)) this.#refusals.push(warning)
        else this.io.warn(warning)
      }
      return result
    })()
    return this.#flavors
  }

  /** Prints the warnings held back by flavors(), except one saying what `failure` says. */
  flushWarnings(failure?: unknown): void {
    const said = (failure as Error | undefined)?.message
    for (const warning of this.#refusals.splice(0)) if (warning !== said) this.io.warn(warning)
  }

  /** A value as typed, or a file's contents for `@path` (one trailing newline dropped; `@@` for a literal @). */
  readValue(raw: string, what: string): string {
    if (raw.startsWith('@@')) return raw.slice(1)
    if (!raw.startsWith('@')) return raw
    const path = resolve(this.cwd, raw.slice(1))
    try {
      return readFileSync(path, 'utf8').replace(/\r?\n$/, '')
    } catch (error) {
      throw new UsageError(
        `cannot read ${what} from ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message} — check the path after '@'`,
        this.path,
      )
    }
  }

  /** Asks for one line on stdin; `hidden` does not echo it on a terminal. */
  async prompt(question: string, options: { hidden?: boolean } = {}): Promise<string> {
    const stdin = process.stdin
    process.stderr.write(question)
    if (stdin.isTTY && options.hidden) return readHidden(stdin)
    if (!this.#lines) {
      const { createInterface } = await import('node:readline')
      this.#lines = createInterface({ input: stdin, terminal: false })[Symbol.asyncIterator]()
    }
    const next = await this.#lines.next()
    if (next.done) {
      process.stderr.write('\n')
      throw new UsageError(
        'no more input on stdin to answer the prompt — pipe one line per value, or run it in a terminal',
        this.path,
      )
    }
    return next.value
  }

  /** Asks yes/no on a terminal; without one (scripts), the answer is yes. */
  async confirm(question: string): Promise<boolean> {
    if (!process.stdin.isTTY) return true
    const answer = await this.prompt(`${question} [y/N] `)
    return /^y(es)?$/i.test(answer.trim())
  }

  async close(): Promise<void> {
    await this.#workspace?.close()
  }
}

function readHidden(stdin: NodeJS.ReadStream): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    let value = ''
    stdin.setRawMode(true)
    stdin.resume()
    stdin.setEncoding('utf8')
    const done = (error?: Error): void => {
      stdin.setRawMode(false)
      stdin.pause()
      stdin.off('data', onData)
      process.stderr.write('\n')
      if (error) reject(error)
      else resolvePromise(value)
    }
    const onData = (chunk: string): void => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n') {
          done()
          return
        }
        if (char === '\u0003') {
          done(new Error('cancelled'))
          return
        }
        if (char === '\u007f' || char === '\b') value = value.slice(0, -1)
        else value += char
      }
    }
    stdin.on('data', onData)
  })
}
