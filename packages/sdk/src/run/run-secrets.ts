import type { JsonValue, PipelineSnapshot } from '@strata/core'
import { redactText } from '@strata/core'
import type { RunEvent, RunRecorder } from '../recording/run-events.js'
import type { RunEnvironment } from './run-environment.js'

/**
 * Every secret value a run must never write: the resolved secret fields of the stack's components and
 * the values of the secrets its steps declare. Longest first, so that a value containing another is
 * masked whole.
 */
export async function runSecretValues(
  environment: RunEnvironment,
  snapshot: PipelineSnapshot,
): Promise<string[]> {
  const values = new Set(environment.secretValues)
  const declared = new Set(snapshot.steps.flatMap((step) => step.secrets))
  for (const name of declared) {
    for (const value of Object.values((await environment.workspace.store.secrets.values(name)) ?? {})) {
      values.add(value)
    }
  }
  return orderSecretValues([...values])
}

/** Each value once, the longest first (core's redactText skips the ones too short to mask). */
export function orderSecretValues(values: readonly string[]): string[] {
  return [...new Set(values)].sort((a, b) => b.length - a.length)
}

function redactJson(value: JsonValue, redact: (text: string) => string): JsonValue {
  if (typeof value === 'string') return redact(value)
  if (Array.isArray(value)) return value.map((item) => redactJson(item, redact))
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [redact(key), redactJson(item as JsonValue, redact)]),
    )
  }
  return value
}

/** The event with secret values masked in what a step can put a secret into: errors and metadata. */
function redactEvent(event: RunEvent, redact: (text: string) => string): RunEvent {
  switch (event.type) {
    case 'step_retrying':
    case 'step_failed':
      return { ...event, error: redact(event.error) }
    case 'metadata':
      return { ...event, values: redactJson(event.values, redact) as typeof event.values }
    default:
      return event
  }
}

/** A recorder that masks secret values in every event before `recorder` sees it (store or journal). */
export function redactingRecorder(recorder: RunRecorder, redact: (text: string) => string): RunRecorder {
  return {
    record: (event) => recorder.record(redactEvent(event, redact)),
    flush: () => recorder.flush(),
  }
}

/** `redactText` over `values`, as a function. */
export function redactorOf(values: readonly string[]): (text: string) => string {
  return values.length === 0 ? (text) => text : (text) => redactText(text, values)
}
