import type { IncomingMessage } from 'node:http'
import { Agent, request } from 'node:https'

/** Where and as whom a {@link KubeApi} talks. */
export interface KubeApiOptions {
  /** `https://127.0.0.1:<port>` */
  server: string
  token: string
  /** PEM of the CA that signed the API server's serving certificate. */
  ca: string
  /** Shown in the API server's audit and managedFields. */
  userAgent: string
  /** @default 30000 */
  timeoutMs?: number
}

/** A non-2xx answer of the API server, with its Status reason (`NotFound`, `Conflict`, `Forbidden`, ...). */
export class KubeApiError extends Error {
  readonly status: number
  readonly reason: string | undefined

  constructor(method: string, path: string, status: number, body: string) {
    let message = body.slice(0, 500)
    let reason: string | undefined
    try {
      const parsed = JSON.parse(body) as { message?: string; reason?: string }
      message = parsed.message ?? message
      reason = parsed.reason
    } catch {}
    super(`${method} ${path}: HTTP ${status}: ${message}`)
    this.name = 'KubeApiError'
    this.status = status
    this.reason = reason
  }
}

/** One event of a watch stream. */
export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR'
  object: T
}

/**
 * A minimal Kubernetes REST client over `node:https`: JSON in and out, merge patches, and watch streams.
 * The node agent uses it instead of @kubernetes/client-node because it needs exact control of content
 * types (merge patches of `pods/status` with a uid precondition), watch resumption and per-request
 * deadlines, and runs as a small child process that should not load the generated client.
 */
export class KubeApi {
  readonly options: KubeApiOptions
  private readonly agent: Agent

  constructor(options: KubeApiOptions) {
    this.options = options
    this.agent = new Agent({ ca: options.ca, keepAlive: true, maxSockets: 64 })
  }

  /** Sends one request; resolves with the parsed JSON body. @throws KubeApiError on a non-2xx answer */
  async send<T>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body)
    const response = await this.open(method, path, payload, contentType, this.options.timeoutMs ?? 30_000)
    const text = await readText(response.stream)
    if (response.status < 200 || response.status > 299) {
      throw new KubeApiError(method, path, response.status, text)
    }
    return (text ? JSON.parse(text) : undefined) as T
  }

  get<T>(path: string): Promise<T> {
    return this.send<T>('GET', path)
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.send<T>('POST', path, body)
  }

  /** A JSON merge patch (RFC 7386): lists in the patch replace the object's lists. */
  mergePatch<T>(path: string, body: unknown): Promise<T> {
    return this.send<T>('PATCH', path, body, 'application/merge-patch+json')
  }

  /** A strategic merge patch: lists with a merge key (conditions by `type`) are merged item by item. */
  strategicPatch<T>(path: string, body: unknown): Promise<T> {
    return this.send<T>('PATCH', path, body, 'application/strategic-merge-patch+json')
  }

  delete<T>(path: string, body?: unknown): Promise<T> {
    return this.send<T>('DELETE', path, body)
  }

  /**
   * Streams a watch (`path` must carry `watch=true` and a resourceVersion); resolves when the server ends
   * the stream (its timeoutSeconds) or `signal` aborts. @throws KubeApiError when the watch is refused
   */
  async watch<T>(path: string, onEvent: (event: WatchEvent<T>) => void, signal: AbortSignal): Promise<void> {
    // No overall deadline: a watch is open for minutes; the server's timeoutSeconds ends it.
    const response = await this.open('GET', path, undefined, 'application/json', 0, signal)
    if (response.status !== 200) {
      throw new KubeApiError('GET', path, response.status, await readText(response.stream))
    }
    let buffered = ''
    await new Promise<void>((resolve, reject) => {
      response.stream.setEncoding('utf8')
      response.stream.on('data', (chunk: string) => {
        buffered += chunk
        let newline = buffered.indexOf('\n')
        while (newline >= 0) {
          const line = buffered.slice(0, newline).trim()
          buffered = buffered.slice(newline + 1)
          if (line) onEvent(JSON.parse(line) as WatchEvent<T>)
          newline = buffered.indexOf('\n')
        }
      })
      response.stream.once('end', resolve)
      response.stream.once('close', resolve)
      response.stream.once('error', (error) => (signal.aborted ? resolve() : reject(error)))
    })
  }

  /** Closes idle keep-alive sockets. */
  close(): void {
    this.agent.destroy()
  }

  private open(
    method: string,
    path: string,
    payload: string | undefined,
    contentType: string,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<{ status: number; stream: IncomingMessage }> {
    const url = new URL(path, this.options.server)
    return new Promise((resolve, reject) => {
      const outgoing = request(
        url,
        {
          method,
          agent: this.agent,
          signal,
          headers: {
            authorization: `Bearer ${this.options.token}`,
            accept: 'application/json',
            'user-agent': this.options.userAgent,
            ...(payload === undefined
              ? {}
              : { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) }),
          },
        },
        (response) => resolve({ status: response.statusCode ?? 0, stream: response }),
      )
      if (timeoutMs > 0) {
        outgoing.setTimeout(timeoutMs, () =>
          outgoing.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)),
        )
      }
      outgoing.once('error', reject)
      outgoing.end(payload)
    })
  }
}

function readText(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    stream.on('data', (chunk: Buffer) => chunks.push(chunk))
    stream.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    stream.once('error', reject)
  })
}

/** True for the API errors a caller may ignore after the object went away (404) or changed uid (409). */
export function isGone(error: unknown): boolean {
  return error instanceof KubeApiError && (error.status === 404 || error.status === 409)
}
