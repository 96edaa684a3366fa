import { createHash } from 'node:crypto'

/**
 * A step run's id, derived from its run and step: the step runner knows it before any row exists (a step
 * process never sees the store), so it can hand it to the experiment tracker, and whichever event creates
 * the row gives it this id. UUID-shaped (version 8, RFC 9562 variant).
 */
export function stepRunIdOf(runId: string, stepId: string): string {
  const hex = createHash('sha256').update(`${runId}\0${stepId}`).digest('hex')
  const variant = ((Number.parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}
