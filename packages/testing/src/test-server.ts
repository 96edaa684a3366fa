import { type ChildProcess, spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

/** A real third-party server a test talks to, on 127.0.0.1. */
export interface TestServer {
  /** Base URL, e.g. `http://127.0.0.1:43121`. */
  url: string
  port: number
  /** Stops the server and waits for it to exit. */
  stop(): Promise<void>
  /** The server's recent output, for failure messages. */
  output(): string
}

/** Either a running server or why it could not run here. */
export type TestServerResult<Server extends TestServer = TestServer> =
  | { server: Server; skip?: undefined }
  | { server?: undefined; skip: string }

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      probe.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      )
    })
  })
}

export interface SpawnServerOptions {
  command: string
  args: string[]
  port: number
  env?: Record<string, string | undefined>
  cwd?: string
  /** Path polled with GET until it answers (any HTTP status). @default '/' */
  readyPath?: string
  /** @default 60000 */
  timeoutMs?: number
}

/**
 * Spawns a server process and waits until it answers HTTP on 127.0.0.1:`port`.
 * @throws Error with the server's output when it exits or does not answer in time
 */
export async function spawnServer(options: SpawnServerOptions): Promise<TestServer> {
  const url = `http://127.0.0.1:${options.port}`
  let log = ''
  const child: ChildProcess = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: process.platform !== 'win32',
  })
  const append = (chunk: Buffer): void => {
    log = (log + chunk.toString()).slice(-8000)
  }
  child.stdout?.on('data', append)
  child.stderr?.on('data', append)
  let exited = false
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true
      resolve()
    })
    child.once('error', (error) => {
      exited = true
      log += `\n${error.message}`
      resolve()
    })
  })
  const stop = async (): Promise<void> => {
    if (exited) return
    try {
      // The whole process group: servers started through wrappers (venv scripts, go run) have children.
      if (child.pid !== undefined && process.platform !== 'win32') process.kill(-child.pid, 'SIGTERM')
      else child.kill('SIGTERM')
    } catch {}
    const killed = await Promise.race([exit.then(() => true), sleep(5000).then(() => false)])
    if (!killed && child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL')
      } catch {}
      await exit
    }
  }
  const deadline = Date.now() + (options.timeoutMs ?? 60_000)
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${options.command} exited before it answered on ${url}:\n${log}`)
    try {
      await fetch(`${url}${options.readyPath ?? '/'}`, { signal: AbortSignal.timeout(1000) })
      return { url, port: options.port, stop, output: () => log }
    } catch {
      await sleep(200)
    }
  }
  await stop()
  throw new Error(
    `${options.command} did not answer on ${url} within ${options.timeoutMs ?? 60_000} ms:\n${log}`,
  )
}

/**
 * Starts a real server for a test file, or says why it cannot. On a user's machine a server that cannot
 * start makes its tests skip with `reason` (what is missing and how to install it); with `CI=true` it is a
 * failure, because CI installs every server.
 *
 * ```ts
 * const { server, skip } = await startTestServer('moto', 'install it with: pip install "moto[server]"', start)
 * describe.skipIf(skip)('s3 on moto', () => { ... })
 * ```
 */
export async function startTestServer<Server extends TestServer>(
  name: string,
  reason: string,
  start: () => Promise<Server>,
): Promise<TestServerResult<Server>> {
  try {
    return { server: await start() }
  } catch (error) {
    const message = `${name} could not start (${error instanceof Error ? error.message.split('\n')[0] : String(error)}) — ${reason}`
    if (process.env.CI === 'true') throw new Error(`CI=true and ${message}`, { cause: error })
    console.warn(`skipping tests that need ${message}`)
    return { skip: message }
  }
}
