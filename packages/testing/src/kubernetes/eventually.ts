import { setTimeout as sleep } from 'node:timers/promises'

/** How long {@link eventually} waits. */
export interface EventuallyOptions {
  /** A backstop for a plane that never gets there, not a guess of how long it takes. @default 60000 */
  timeoutMs?: number
  /** @default 200 */
  intervalMs?: number
  /** What to show when it never happens (the object's last state, the agent's log, ...). */
  explain?: () => Promise<string> | string
}

/**
 * Polls `probe` until it returns something other than undefined, null or false and returns that. For tests
 * against the plane: each wait ends when the plane reports the state, so a loaded machine only makes it
 * slower, never flaky; the timeout is only a backstop.
 * @throws Error naming `what`, with `explain()`, when the timeout passes
 */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  options: EventuallyOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 60_000
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  for (;;) {
    try {
      const value = await probe()
      if (value !== undefined && value !== null && value !== false) return value
    } catch (error) {
      lastError = error
    }
    if (Date.now() > deadline) {
      const explanation = options.explain ? await options.explain() : ''
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : ''
      throw new Error(`${what}: not within ${timeoutMs} ms${cause}\n${explanation}`)
    }
    await sleep(options.intervalMs ?? 200)
  }
}
