import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import type { ClientRequest } from 'node:http'

// @google-cloud/storage accepts a `timeout`, but its transport (teeny-request on node-fetch 3) drops it:
// node-fetch 3 has no timeout option, so a server that accepts a connection and never answers hangs the
// call forever (googleapis/google-cloud-node#7998). The stores' clients mark their requests with a header
// holding the timeout, which this module takes off again as Node creates each request (before anything is
// sent), setting an idle timeout on the request instead: a stalled request fails with ETIMEDOUT and its
// socket is destroyed.
const TAG_HEADER = 'x-strata-idle-timeout'
const CHANNEL = 'http.client.request.created'
/** Clients holding a RequestIdleTimeout: the channel is listened to while there is one. */
let users = 0

function timeoutError(timeoutMs: number): Error {
  return Object.assign(new Error(`no data sent or received for ${timeoutMs} ms`), { code: 'ETIMEDOUT' })
}

/**
 * True for a request that timed out (`ETIMEDOUT`: its idle timeout, or the OS's connect timeout), in any
 * of the shapes the client hands to its retry predicate: the error, a wrapping `FetchError`/`GaxiosError`,
 * or the resumable upload's `{ errors: [{ reason }] }`.
 */
export function isTimedOut(error: unknown): boolean {
  let current = error
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const candidate = current as { code?: unknown; errors?: Array<{ reason?: unknown }>; cause?: unknown }
    if (candidate.code === 'ETIMEDOUT') return true
    if (candidate.errors?.some((entry) => entry?.reason === 'ETIMEDOUT')) return true
    current = candidate.cause
  }
  return false
}

function onRequestCreated(message: unknown): void {
  const request = (message as { request?: ClientRequest }).request
  const tag = request?.getHeader(TAG_HEADER)
  if (request === undefined || typeof tag !== 'string') return
  request.removeHeader(TAG_HEADER)
  const timeoutMs = Number(tag)
  if (timeoutMs > 0) request.setTimeout(timeoutMs, () => request.destroy(timeoutError(timeoutMs)))
}

/** What a client's requests carry to get an idle timeout; `release()` when the client is done. */
export interface RequestIdleTimeout {
  /** Headers to add to every request (removed again before the request goes out). */
  readonly headers: Readonly<Record<string, string>>
  release(): void
}

/**
 * An idle timeout of `timeoutMs` for every Node HTTP request that carries the returned headers: a request
 * with no bytes sent or received for that long is destroyed with an `ETIMEDOUT` error.
 */
export function requestIdleTimeout(timeoutMs: number): RequestIdleTimeout {
  if (users++ === 0) subscribe(CHANNEL, onRequestCreated)
  let released = false
  return {
    headers: { [TAG_HEADER]: String(timeoutMs) },
    release: () => {
      if (released) return
      released = true
      if (--users === 0) unsubscribe(CHANNEL, onRequestCreated)
    },
  }
}
