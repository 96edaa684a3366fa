import { AsyncLocalStorage } from 'node:async_hooks'
import { StringDecoder } from 'node:string_decoder'
import { format } from 'node:util'
import type { Logger } from '@strata/core'

type Stream = 'stdout' | 'stderr'

/** Collects one step's log lines; optionally echoes them to the terminal with the step's name. */
export class StepLog {
  readonly #lines: string[] = []
  readonly #echo: ((line: string) => void) | undefined
  readonly #prefix: string
  /** Raw writes to stdout and stderr: each stream's decoder and its unfinished last line. */
  readonly #raw: Record<Stream, { decoder: StringDecoder; partial: string }> = {
    stdout: { decoder: new StringDecoder('utf8'), partial: '' },
    stderr: { decoder: new StringDecoder('utf8'), partial: '' },
  }

  constructor(stepName: string, echo?: (line: string) => void) {
    this.#echo = echo
    this.#prefix = `[${stepName}] `
  }

  append(level: string, text: string): void {
    for (const line of text.split('\n')) {
      this.#lines.push(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${line}`)
      // Echo outside the step's context: an echo that logs must not be captured back into this log.
      if (this.#echo) current.exit(() => this.#echo?.(`${this.#prefix}${line}`))
    }
  }

  /** Bytes the step wrote to stdout or stderr itself: logged line by line (stderr as errors). */
  write(stream: Stream, chunk: string | Uint8Array, encoding?: BufferEncoding): void {
    const raw = this.#raw[stream]
    const text =
      typeof chunk === 'string'
        ? encoding && encoding !== 'utf8' && encoding !== 'utf-8'
          ? raw.decoder.write(Buffer.from(chunk, encoding))
          : chunk
        : raw.decoder.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))
    const lines = `${raw.partial}${text}`.split('\n')
    raw.partial = lines.pop() ?? ''
    for (const line of lines) this.append(stream === 'stderr' ? 'error' : 'info', line)
  }

  /** The log so far; a line the step wrote without its newline yet counts as a line. */
  text(): string {
    for (const stream of ['stdout', 'stderr'] as const) {
      const raw = this.#raw[stream]
      const rest = raw.partial + raw.decoder.end()
      raw.partial = ''
      if (rest !== '') this.append(stream === 'stderr' ? 'error' : 'info', rest)
    }
    return this.#lines.length === 0 ? '' : `${this.#lines.join('\n')}\n`
  }

  /** A logger writing into this log. */
  logger(): Logger {
    const write = (level: string) => (message: string, fields?: Record<string, unknown>) =>
      this.append(
        level,
        fields && Object.keys(fields).length > 0 ? `${message} ${JSON.stringify(fields)}` : message,
      )
    return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') }
  }
}

const current = new AsyncLocalStorage<StepLog>()
let installed = false

type Write = (chunk: string | Uint8Array, encoding?: unknown, callback?: unknown) => boolean

/**
 * Routes what a step (and everything it awaits) prints to that step's log, even when steps run
 * concurrently on one event loop: `console.*` calls, and raw `process.stdout.write` /
 * `process.stderr.write` (a library printing a progress bar or a warning). The step's log is echoed and
 * stored with the run's secrets masked, so nothing a step prints reaches the terminal unmasked. Outside
 * steps — the CLI, the run's own progress lines, echoes — console and the streams behave as usual.
 * `fs.writeSync` and `fs.write` on descriptors 1 and 2 are routed too (the builtin's ESM bindings are
 * synced, so `import { writeSync } from 'node:fs'` sees it). What bypasses Node altogether — native code, a
 * child program inheriting the descriptors — is not seen in-process; a step process's orchestrator keeps
 * those from its output.
 */
function installCapture(): void {
  if (installed) return
  installed = true
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    const original = console[level].bind(console)
    console[level] = (...args: unknown[]) => {
      const log = current.getStore()
      if (log) log.append(level === 'log' ? 'info' : level, format(...args))
      else original(...args)
    }
  }
  for (const name of ['stdout', 'stderr'] as const) {
    const stream = process[name]
    const original = stream.write as Write
    const capture: Write = function (this: unknown, chunk, encoding, callback) {
      const log = current.getStore()
      if (!log) return original.call(this ?? stream, chunk, encoding, callback)
      log.write(name, chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : undefined)
      const done = typeof encoding === 'function' ? encoding : callback
      if (typeof done === 'function') process.nextTick(done as () => void)
      return true
    }
    stream.write = capture as typeof stream.write
  }
  captureDescriptorWrites()
}

const STREAM_OF_FD: Record<number, Stream> = { 1: 'stdout', 2: 'stderr' }

/** `fs.writeSync(1|2, …)` and `fs.write(1|2, …)` inside a step go to its log, as stream writes do. */
function captureDescriptorWrites(): void {
  const fs = process.getBuiltinModule('node:fs')
  const originalSync = fs.writeSync
  const originalAsync = fs.write
  const captured = (fd: unknown, data: unknown, encoding: unknown): number | undefined => {
    const stream = typeof fd === 'number' ? STREAM_OF_FD[fd] : undefined
    const log = stream && current.getStore()
    if (!stream || !log) return undefined
    // Strings (with an optional encoding) and whole buffers: what a step prints. Offsets into a buffer
    // (fs.writeSync(fd, buffer, offset, length)) are taken as they come, from the offset on.
    if (typeof data === 'string') {
      log.write(stream, data, typeof encoding === 'string' ? (encoding as BufferEncoding) : undefined)
      return Buffer.byteLength(data, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8')
    }
    if (ArrayBuffer.isView(data)) {
      const offset = typeof encoding === 'number' ? encoding : 0
      const bytes = new Uint8Array(data.buffer, data.byteOffset + offset, data.byteLength - offset)
      log.write(stream, bytes)
      return bytes.byteLength
    }
    return undefined
  }
  fs.writeSync = function (this: unknown, fd: number, data: unknown, ...rest: unknown[]) {
    const written = captured(fd, data, rest[0])
    if (written !== undefined) return written
    return (originalSync as (...args: unknown[]) => number).call(this, fd, data, ...rest)
  } as typeof fs.writeSync
  fs.write = function (this: unknown, fd: number, data: unknown, ...rest: unknown[]) {
    const written = captured(fd, data, rest[0])
    if (written === undefined)
      return (originalAsync as (...args: unknown[]) => void).call(this, fd, data, ...rest)
    const callback = rest.at(-1)
    if (typeof callback === 'function') process.nextTick(() => callback(null, written, data))
  } as typeof fs.write
  process.getBuiltinModule('node:module').syncBuiltinESMExports()
}

/** Runs `fn` with `log` receiving what it prints (console and the process's stdout and stderr). */
export function withStepLog<T>(log: StepLog, fn: () => Promise<T>): Promise<T> {
  installCapture()
  return current.run(log, fn)
}
