import { AsyncLocalStorage } from 'node:async_hooks'
import { format } from 'node:util'
import type { Logger } from '@strata/core'

/** Collects one step's log lines; optionally echoes them to the terminal with the step's name. */
export class StepLog {
  readonly #lines: string[] = []
  readonly #echo: ((line: string) => void) | undefined
  readonly #prefix: string

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

  text(): string {
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

/**
 * Routes `console.*` calls made inside a step (and everything it awaits) to that step's log, even when
 * steps run concurrently on one event loop. Outside steps, console behaves as usual.
 */
function installConsoleCapture(): void {
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
}

/** Runs `fn` with `log` receiving its console output. */
export function withStepLog<T>(log: StepLog, fn: () => Promise<T>): Promise<T> {
  installConsoleCapture()
  return current.run(log, fn)
}
