import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
} from 'node:http'
import { createServer as createTcpServer, type Socket } from 'node:net'
import { Transform } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'

/** One request a {@link FaultProxy} saw. */
export interface ProxiedRequest {
  method: string
  /** Path and query, e.g. `/bucket/key?partNumber=1&uploadId=...`. */
  url: string
  /** The request's headers, as the server received them. */
  headers: IncomingHttpHeaders
  /** What the client got: the injected status, or the server's. */
  status: number
  injected: boolean
  /** When it arrived (`performance.now()`), to check retry timing. */
  at: number
}

/** An HTTP proxy on 127.0.0.1 in front of a real server, answering some requests with an error first. */
export interface FaultProxy {
  /** Base URL of the proxy, to configure as the client's endpoint. */
  url: string
  /** Every request so far, in arrival order. */
  requests: ProxiedRequest[]
  close(): Promise<void>
}

export interface FaultProxyOptions {
  /** Which requests may be answered with the fault. @default every request */
  match?: (request: { method: string; url: string }) => boolean
  /** How many matching requests get the fault before the proxy forwards them all. @default 1 */
  times?: number
  /** @default 503 */
  status?: number
  /** The fault's body, e.g. the server's own error format. @default 'Service Unavailable' */
  body?: string
  headers?: Record<string, string>
  /** Forwards the bodies of the server's answers slowly: this long between chunks (a slow but moving link). */
  chunkDelayMs?: number
}

function listen(server: Server | ReturnType<typeof createTcpServer>): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port))
  })
}

/**
 * Starts a loopback HTTP proxy to `target` that answers the first `times` matching requests with `status`
 * (after reading their bodies, as a server would) and forwards everything else unchanged — headers
 * included, so signed requests (SigV4 signs the Host header) still verify.
 */
export async function startFaultProxy(target: string, options: FaultProxyOptions = {}): Promise<FaultProxy> {
  const upstream = new URL(target)
  const requests: ProxiedRequest[] = []
  let faults = options.times ?? 1
  const sockets = new Set<Socket>()
  const server = createServer((request: IncomingMessage, response) => {
    const method = request.method ?? 'GET'
    const url = request.url ?? '/'
    const at = performance.now()
    if (faults > 0 && (options.match?.({ method, url }) ?? true)) {
      faults--
      const status = options.status ?? 503
      requests.push({ method, url, headers: request.headers, status, injected: true, at })
      request.resume()
      request.once('end', () => {
        response.writeHead(status, { 'content-type': 'text/plain', ...options.headers })
        response.end(options.body ?? 'Service Unavailable')
      })
      return
    }
    const forwarded = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method,
        path: url,
        headers: request.headers,
      },
      (answer) => {
        requests.push({
          method,
          url,
          headers: request.headers,
          status: answer.statusCode ?? 0,
          injected: false,
          at,
        })
        response.writeHead(answer.statusCode ?? 502, answer.headers)
        const delay = options.chunkDelayMs
        if (delay === undefined) answer.pipe(response)
        else answer.pipe(slowly(delay)).pipe(response)
      },
    )
    forwarded.once('error', () => response.destroy())
    request.pipe(forwarded)
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  const port = await listen(server)
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => closeServer(server, sockets),
  }
}

/** Drops the server's open connections and stops it listening. */
function closeServer(server: { close(callback: () => void): unknown }, sockets: Set<Socket>): Promise<void> {
  return new Promise((resolve) => {
    for (const socket of sockets) socket.destroy()
    server.close(() => resolve())
  })
}

/** Passes chunks of at most 16 KiB on, `delayMs` apart. */
function slowly(delayMs: number): Transform {
  return new Transform({
    async transform(chunk: Buffer, _encoding, callback) {
      for (let offset = 0; offset < chunk.byteLength; offset += 16 * 1024) {
        await sleep(delayMs)
        this.push(chunk.subarray(offset, offset + 16 * 1024))
      }
      callback()
    },
  })
}

/** A TCP server on 127.0.0.1 that accepts connections, reads what it is sent, and never answers. */
export interface StalledServer {
  url: string
  /** Connections accepted so far. */
  connections(): number
  close(): Promise<void>
}

export async function startStalledServer(): Promise<StalledServer> {
  const sockets = new Set<Socket>()
  let accepted = 0
  const server = createTcpServer((socket) => {
    accepted++
    sockets.add(socket)
    socket.on('data', () => {})
    socket.on('error', () => {})
    socket.once('close', () => sockets.delete(socket))
  })
  const port = await listen(server)
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => accepted,
    close: () => closeServer(server, sockets),
  }
}

/** What a call against a {@link StalledServer} came to: what it threw, after how long, over how many connections. */
export interface StalledCall {
  error: unknown
  elapsedMs: number
  /** Connections the call opened to the server (one per attempt). */
  connections: number
}

/** Runs `call` (which should fail: the server never answers) and measures it. */
export async function stalledCall(server: StalledServer, call: () => Promise<unknown>): Promise<StalledCall> {
  const before = server.connections()
  const started = Date.now()
  const error = await call().then(
    () => undefined,
    (thrown: unknown) => thrown,
  )
  return { error, elapsedMs: Date.now() - started, connections: server.connections() - before }
}
