import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, openSync, readSync, statSync } from 'node:fs'
import { request } from 'node:https'
import { setTimeout as sleep } from 'node:timers/promises'

/** One control-plane binary running for a plane. */
export interface PlaneProcess {
  name: string
  pid: number
  logFile: string
  /** Settles when the process has exited. */
  exit: Promise<void>
  exited(): boolean
  /** SIGKILL (the plane's state is thrown away, nothing to flush) and wait for the exit. */
  kill(): Promise<void>
}

/** The last `bytes` of a log file, for error messages. */
export function readLogTail(file: string, bytes = 6000): string {
  try {
    const size = statSync(file).size
    const length = Math.min(size, bytes)
    const buffer = Buffer.alloc(length)
    const descriptor = openSync(file, 'r')
    try {
      readSync(descriptor, buffer, 0, length, size - length)
    } finally {
      closeSync(descriptor)
    }
    return buffer.toString('utf8')
  } catch {
    return ''
  }
}

/**
 * Starts a control-plane binary with its output appended to `logFile`. Not detached: it stays in the
 * test's process group, so a Ctrl-C in the terminal stops it with the tests.
 */
export function spawnPlaneProcess(
  name: string,
  command: string,
  args: string[],
  logFile: string,
): PlaneProcess {
  const log = openSync(logFile, 'a')
  let child: ChildProcess
  try {
    child = spawn(command, args, { stdio: ['ignore', log, log] })
  } finally {
    closeSync(log)
  }
  let done = false
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      done = true
      resolve()
    })
    child.once('error', () => {
      done = true
      resolve()
    })
  })
  return {
    name,
    pid: child.pid ?? -1,
    logFile,
    exit,
    exited: () => done,
    async kill() {
      if (done) return
      child.kill('SIGKILL')
      await exit
    },
  }
}

/** GET over HTTPS; the body when the answer is 200, otherwise undefined (also on connection errors). */
export function httpsGet(
  url: string,
  options: { ca?: string; token?: string; insecure?: boolean } = {},
): Promise<string | undefined> {
  return new Promise((resolve) => {
    const outgoing = request(
      url,
      {
        ...(options.ca ? { ca: options.ca } : {}),
        rejectUnauthorized: !options.insecure,
        headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
        timeout: 5000,
      },
      (response) => {
        let body = ''
        response.setEncoding('utf8')
        response.on('data', (chunk: string) => {
          body += chunk
        })
        response.once('end', () => resolve(response.statusCode === 200 ? body : undefined))
        response.once('error', () => resolve(undefined))
      },
    )
    outgoing.once('timeout', () => outgoing.destroy())
    outgoing.once('error', () => resolve(undefined))
    outgoing.end()
  })
}

/**
 * Polls `probe` until it answers true. Readiness is what the process says, never a guessed sleep; the
 * deadline is only a backstop for a process that hangs.
 * @throws Error with the process's log when it exits first or `deadline` (epoch ms) passes
 */
export async function waitUntilAnswering(
  process: PlaneProcess,
  what: string,
  probe: () => Promise<boolean>,
  deadline: number,
): Promise<void> {
  for (;;) {
    if (process.exited()) {
      throw new Error(`${process.name} exited before ${what}:\n${readLogTail(process.logFile)}`)
    }
    if (await probe().catch(() => false)) return
    if (Date.now() > deadline) {
      throw new Error(
        `${process.name}: no ${what} before the start-up deadline:\n${readLogTail(process.logFile)}`,
      )
    }
    await sleep(150)
  }
}
