import { resolve } from 'node:path'
import type { Client, DiscoveryResult, StrataWorkspace } from '@strata/sdk/stack-state'
import { CommandError, UsageError } from './errors.js'
import { type Io, neutralise } from './output/io.js'
import { cliVersion } from './version.js'

// Not `import ... from 'node:fs'`: building that ESM facade loads fs/promises (~3 ms), a tenth of the
// start-up budget of `strata stack list`; getBuiltinModule hands over the already-loaded module.
const { closeSync, fstatSync, openSync, readSync } = process.getBuiltinModule('node:fs')

/**
 * The most a file read for a value may hold (`--KEY=@file`, `--values @file`): 1 MiB — a certificate bundle
 * or a service account key is a few kilobytes. The same limit as the SDK's for stack and run config files.
 */
const VALUE_FILE_LIMIT = 1024 * 1024

/** A file's text, or `undefined` when it holds more than `limit` bytes (known before reading a regular file). */
function readFileAtMost(path: string, limit: number): string | undefined {
  const fd = openSync(path, 'r')
  try {
    const stat = fstatSync(fd)
    if (stat.isFile() && stat.size > limit) return undefined
    // One byte more than the limit: reading it proves a pipe (or a growing file) too large.
    const buffer = Buffer.allocUnsafe(limit + 1)
    let length = 0
    while (length <= limit) {
      const read = readSync(fd, buffer, length, buffer.length - length, null)
      if (read === 0) break
      length += read
    }
    return length > limit ? undefined : buffer.toString('utf8', 0, length)
  } finally {
    closeSync(fd)
  }
}

type Sdk = typeof import('@strata/sdk/internal')

/** Undeclared `--KEY=VALUE` options (commands that declare `extras`), in order, keys as typed. */
export type Extras = ReadonlyArray<{ key: string; value: string | true }>

/** Something a command opens and the CLI closes when the command ends, however it ends. */
export interface Closable {
  close(): Promise<void> | void
}

/**
 * Everything a command's `run` gets: its arguments and options, typed by its declaration (see command.ts),
 * and the expensive things (the store, a Client, the SDK, discovery), loaded on first use and closed when
 * the command ends, however it ends.
 */
export class CommandContext<Args extends object = object, Options extends object = object> {
  readonly path: string
  readonly args: Args
  readonly options: Options
  readonly extras: Extras
  readonly io: Io
  readonly cwd: string
  readonly env: NodeJS.ProcessEnv
  #workspace: Promise<StrataWorkspace> | undefined
  #client: Promise<Client> | undefined
  #flavors: Promise<DiscoveryResult> | undefined
  #lines: AsyncIterator<string> | undefined
  /** Closed by close(), last opened first. */
  readonly #owned: Closable[] = []
  /** Discovery warnings about flavors refused for their interface version, printed by flushWarnings(). */
  readonly #refusals: string[] = []

  constructor(init: {
    path: string
    args: Args
    options: Options
    extras: Extras
    io: Io
    cwd: string
    env: NodeJS.ProcessEnv
  }) {
    this.path = init.path
    this.args = init.args
    this.options = init.options
    this.extras = init.extras
    this.io = init.io
    this.cwd = init.cwd
    this.env = init.env
  }

  /** The CLI's own version. */
  get version(): string {
    return cliVersion()
  }

  /** The user's store and the project, opened once (also when asked for twice at once). */
  workspace(): Promise<StrataWorkspace> {
    this.#workspace ??= import('@strata/sdk/stack-state').then(({ openWorkspace }) =>
      this.own(openWorkspace({ cwd: this.cwd, env: this.env })),
    )
    return this.#workspace
  }

  /** The SDK's Client on the user's store, opened once; the stack is built only when an operation needs it. */
  client(): Promise<Client> {
    // From the light entry: reading runs, artifacts and models loads neither zod nor the stack machinery.
    this.#client ??= import('@strata/sdk/stack-state').then(async ({ Client }) =>
      this.own(await Client.open({ projectRoot: this.cwd })),
    )
    return this.#client
  }

  /**
   * A signal that Ctrl-C (SIGINT) or SIGTERM aborts while the command runs, instead of ending the process:
   * a run stops starting steps and aborts the running ones. The SDK leaves signals to its application.
   */
  interruption(): AbortSignal {
    const controller = new AbortController()
    const signals = ['SIGINT', 'SIGTERM'] as const
    const stop = (signal: NodeJS.Signals): void =>
      controller.abort(new Error(`the run was interrupted (${signal})`))
    for (const signal of signals) process.on(signal, stop)
    this.own({
      close: () => {
        for (const signal of signals) process.off(signal, stop)
      },
    })
    return controller.signal
  }

  /** Hands `resource` to the CLI, which closes it when the command ends (what was opened last, first). */
  own<T extends Closable>(resource: T): T {
    this.#owned.push(resource)
    return resource
  }

  /** The whole SDK (loads zod and the flavor machinery; not for start-up-critical commands). */
  sdk(): Promise<Sdk> {
    return import('@strata/sdk/internal')
  }

  /**
   * Every flavor this project can use, found once; discovery warnings are printed. Imports no plugin, and
   * neither zod nor the whole SDK (`flavor list`, `integration list` stay within the start-up budget).
   * A flavor refused for its interface version is warned about at the end (flushWarnings), unless the
   * command fails with that very refusal: then it is the error, said once.
   */
  flavors(): Promise<DiscoveryResult> {
    this.#flavors ??= (async () => {
      const [{ discoverWorkspaceFlavors }, workspace] = await Promise.all([
        import('@strata/sdk/stack-state'),
        this.workspace(),
      ])
      const result = await discoverWorkspaceFlavors(workspace)
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

  /**
   * A value as typed, or a file's contents for `@path` (one trailing newline dropped; `@@` for a literal @).
   * @throws UsageError for a file that cannot be read; CommandError `INPUT_TOO_LARGE` past 1 MiB
   */
  readValue(raw: string, what: string): string {
    if (raw.startsWith('@@')) return raw.slice(1)
    if (!raw.startsWith('@')) return raw
    const path = resolve(this.cwd, raw.slice(1))
    let text: string | undefined
    try {
      text = readFileAtMost(path, VALUE_FILE_LIMIT)
    } catch (error) {
      throw new UsageError(
        `cannot read ${what} from ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message} — check the path after '@'`,
        this.path,
      )
    }
    if (text === undefined) {
      throw new CommandError(
        'INPUT_TOO_LARGE',
        `cannot read ${what} from ${path}: the file holds more than the 1 MiB a value may be — check the path after '@'`,
      )
    }
    return text.replace(/\r?\n$/, '')
  }

  /** Asks for one line on stdin; `hidden` does not echo it on a terminal. */
  async prompt(question: string, options: { hidden?: boolean } = {}): Promise<string> {
    const stdin = process.stdin
    process.stderr.write(neutralise(this.io.scrub(question)))
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

  /**
   * Closes what the command opened, last opened first; each is closed even when another fails.
   * @throws the first failure to close
   */
  async close(): Promise<void> {
    let failure: { error: unknown } | undefined
    for (const resource of this.#owned.splice(0).reverse()) {
      try {
        await resource.close()
      } catch (error) {
        failure ??= { error }
      }
    }
    if (failure) throw failure.error
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
