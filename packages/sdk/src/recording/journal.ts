import { randomBytes } from 'node:crypto'
import { type ArtifactStoreHost, errorMessage, excerpt, type StepOutcome, StrataError } from '@strata/core'
import type { StoreRepositories } from '@strata/store'
import type { RunEvent, RunRecorder } from './run-events.js'
import { applyRunEvent } from './store-recorder.js'

/** Where a run's files live in its artifact store. */
export const runKeys = {
  root: (runId: string) => `runs/${runId}/`,
  snapshot: (runId: string) => `runs/${runId}/snapshot.json`,
  bundle: (runId: string) => `runs/${runId}/code/bundle.mjs`,
  stepInputs: (runId: string, step: string) => `runs/${runId}/steps/${step}/inputs.json`,
  stepLogs: (runId: string, step: string) => `runs/${runId}/steps/${step}/logs.txt`,
  journal: (runId: string, step: string) => `runs/${runId}/journal/${step}/`,
}

/**
 * Records a step process's events as a journal in the artifact store: each flush writes the events since
 * the previous one as a new, numbered object (object stores cannot append).
 */
export class JournalRecorder implements RunRecorder {
  readonly #store: ArtifactStoreHost
  readonly #runId: string
  readonly #step: string
  /** Tells this process's objects from those of other attempts of the step. */
  readonly #writer = randomBytes(4).toString('hex')
  #pending: RunEvent[] = []
  #sequence = 0
  #writing: Promise<void> = Promise.resolve()

  constructor(store: ArtifactStoreHost, runId: string, step: string) {
    this.#store = store
    this.#runId = runId
    this.#step = step
  }

  record(event: RunEvent): void {
    this.#pending.push(event)
  }

  flush(): Promise<void> {
    if (this.#pending.length === 0) return this.#writing
    const events = this.#pending
    this.#pending = []
    const key = journalKey(this.#runId, this.#step, this.#writer, ++this.#sequence)
    this.#writing = this.#writing.then(() => this.#store.write(key, JSON.stringify(events)).then(() => {}))
    return this.#writing
  }
}

/**
 * Journal object names sort by time across every process that writes a step's journal (one per attempt
 * on Kubernetes, and the driver): `<ms since epoch, 13 digits>-<writer>-<sequence>.json`.
 */
function journalKey(runId: string, step: string, writer: string, sequence: number): string {
  return `${runKeys.journal(runId, step)}${String(Date.now()).padStart(13, '0')}-${writer}-${String(sequence).padStart(6, '0')}.json`
}

/** Appends events to a step's journal as one new object (what the driver of a remote run records). */
export async function writeJournalEvents(
  store: ArtifactStoreHost,
  runId: string,
  step: string,
  events: readonly RunEvent[],
  writer: string,
): Promise<void> {
  await store.write(journalKey(runId, step, writer, 1), JSON.stringify(events))
}

/** The outcome a step's journal ends with, or `undefined` while an attempt is open (or none began). */
export function journalOutcome(events: readonly RunEvent[]): StepOutcome | undefined {
  let outcome: StepOutcome | undefined
  for (const event of events) {
    if (event.type === 'step_started' || event.type === 'step_retrying') outcome = undefined
    else if (event.type === 'step_completed') outcome = { status: 'completed' }
    else if (event.type === 'step_cached') outcome = { status: 'cached' }
    else if (event.type === 'step_failed') outcome = { status: event.status, error: event.error }
  }
  return outcome
}

function malformedJournal(key: string, problem: string): StrataError {
  return new StrataError(
    'JOURNAL_MALFORMED',
    `the journal object ${key} in the run's artifact store ${problem} — it was cut short or changed after its step wrote it: put the original back, or delete it (its events are lost; 'strata pipeline runs resume RUN' runs the step again), then sync again`,
    { details: { key } },
  )
}

/**
 * The events one journal object holds.
 * @throws StrataError `JOURNAL_MALFORMED` naming the object, for text that is not a list of run events
 */
function parseJournalObject(key: string, text: string): RunEvent[] {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (error) {
    throw malformedJournal(key, `is not valid JSON (${excerpt(errorMessage(error))})`)
  }
  const isEvent = (value: unknown): boolean =>
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { type?: unknown }).type === 'string' &&
    typeof (value as { step?: unknown }).step === 'string'
  if (!Array.isArray(parsed) || !parsed.every(isEvent))
    throw malformedJournal(key, 'is not a list of run events')
  return parsed as RunEvent[]
}

/** Reads a step's journal in order. */
export async function readJournal(
  store: ArtifactStoreHost,
  runId: string,
  step: string,
): Promise<RunEvent[]> {
  const keys: string[] = []
  for await (const entry of store.listAll(runKeys.journal(runId, step))) keys.push(entry.key)
  keys.sort()
  const events: RunEvent[] = []
  for (const key of keys) events.push(...parseJournalObject(key, await store.readText(key)))
  return events
}

/** Applies a step's journal to the store (idempotent); returns the events. */
export async function ingestJournal(
  repositories: StoreRepositories,
  store: ArtifactStoreHost,
  runId: string,
  step: string,
): Promise<RunEvent[]> {
  const events = await readJournal(store, runId, step)
  for (const event of events) await applyRunEvent(repositories, runId, event)
  return events
}

/**
 * Follows the journals of a whole run as they grow: each `poll()` lists the run's journal objects once and
 * returns, per step, the events written since the previous poll, in order.
 */
export class JournalFollower {
  readonly #store: ArtifactStoreHost
  readonly #runId: string
  readonly #seen = new Set<string>()

  constructor(store: ArtifactStoreHost, runId: string) {
    this.#store = store
    this.#runId = runId
  }

  async poll(): Promise<Map<string, RunEvent[]>> {
    const prefix = runKeys.root(this.#runId) + 'journal/'
    const fresh: string[] = []
    for await (const entry of this.#store.listAll(prefix)) {
      if (!this.#seen.has(entry.key)) fresh.push(entry.key)
    }
    fresh.sort()
    const events = new Map<string, RunEvent[]>()
    for (const key of fresh) {
      const step = key.slice(prefix.length).split('/')[0] ?? ''
      const written = parseJournalObject(key, await this.#store.readText(key))
      this.#seen.add(key)
      const list = events.get(step)
      if (list) list.push(...written)
      else events.set(step, [...written])
    }
    return events
  }
}
