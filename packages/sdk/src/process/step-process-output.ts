// What a step process writes to its stdout and stderr, as the client receives it: the step's own log lines
// (echoed as `[step] line`), and whatever was written around the step runner (a module printing while it
// loads, a crash, a native library writing to the file descriptor). Both are shown; the second kind is not
// in the step's log yet, so it is kept and merged into it when the process has exited.
import type { ArtifactStoreHost } from '@strata/core'
import { runKeys } from '../recording/journal.js'
import type { RunOutput } from '../run/run-progress.js'

/** A line of a step's log: `<ISO time> <LEVEL> <text>`, as StepLog writes them. */
function logLine(at: string, level: 'info' | 'error', text: string): string {
  return `${at} ${level.toUpperCase().padEnd(5)} ${text}`
}

/** Splits step processes' output into lines, shows them masked, and keeps those the step's log lacks. */
export class StepProcessOutput {
  readonly #say: RunOutput | undefined
  readonly #redact: (text: string) => string
  /** The unfinished last line, per step and stream. */
  readonly #partial = new Map<string, string>()
  /** Lines to add to each step's log. */
  readonly #kept = new Map<string, string[]>()

  constructor(say: RunOutput | undefined, redact: (text: string) => string) {
    this.#say = say
    this.#redact = redact
  }

  /** Text a step process wrote (decoded: a character split across chunks arrives whole). */
  write(stepId: string, stream: 'stdout' | 'stderr', text: string): void {
    const key = `${stream}:${stepId}`
    const lines = `${this.#partial.get(key) ?? ''}${text}`.split('\n')
    this.#partial.set(key, lines.pop() ?? '')
    for (const line of lines) this.#line(stepId, stream, line)
  }

  /** A line for the step's log that the client itself has to say (how the process ended). */
  note(stepId: string, text: string): void {
    this.#keep(stepId, 'error', this.#redact(text))
  }

  /**
   * Ends a step process's output (its last line may lack a newline) and hands over the lines its log lacks,
   * masked.
   */
  take(stepId: string): string[] {
    for (const stream of ['stdout', 'stderr'] as const) {
      const key = `${stream}:${stepId}`
      const rest = this.#partial.get(key)
      this.#partial.delete(key)
      if (rest) this.#line(stepId, stream, rest)
    }
    const kept = this.#kept.get(stepId) ?? []
    this.#kept.delete(stepId)
    return kept
  }

  #line(stepId: string, stream: 'stdout' | 'stderr', raw: string): void {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw
    const prefix = `[${stepId}] `
    // The step's own log line, echoed by the process (and already masked there): it is in the log.
    if (stream === 'stdout' && line.startsWith(prefix)) {
      this.#say?.(this.#redact(line))
      return
    }
    const text = this.#redact(line)
    this.#say?.(`${prefix}${text}`)
    this.#keep(stepId, stream === 'stderr' ? 'error' : 'info', text)
  }

  #keep(stepId: string, level: 'info' | 'error', text: string): void {
    const lines = this.#kept.get(stepId) ?? []
    lines.push(logLine(new Date().toISOString(), level, text))
    this.#kept.set(stepId, lines)
  }
}

/** The time a log line starts with (ISO 8601, so that strings compare as times). */
const timeOf = (line: string): string => line.slice(0, 24)

/**
 * Adds lines to a step's log in the artifact store, merged by time with what the step logged itself.
 * @returns the log's key when the step has a log, else undefined
 */
export async function keepInStepLog(
  store: ArtifactStoreHost,
  runId: string,
  stepId: string,
  lines: readonly string[],
): Promise<string | undefined> {
  const key = runKeys.stepLogs(runId, stepId)
  const exists = await store.exists(key)
  if (lines.length === 0) return exists ? key : undefined
  const logged = exists ? (await store.readText(key)).split('\n').filter((line) => line !== '') : []
  const merged: string[] = []
  let next = 0
  for (const line of logged) {
    while (next < lines.length && timeOf(lines[next] ?? '') < timeOf(line)) merged.push(lines[next++] ?? '')
    merged.push(line)
  }
  merged.push(...lines.slice(next))
  await store.write(key, `${merged.join('\n')}\n`)
  return key
}
