import { spawn } from 'node:child_process'
import { closeSync, mkdirSync, openSync } from 'node:fs'
import { constants } from 'node:os'
import { dirname } from 'node:path'
import type { Readable } from 'node:stream'

/** How a container process ended. */
export interface ContainerExit {
  /** As a container runtime reports it: the exit status, or 128 + the signal number of a signal death. */
  exitCode: number
  /** The signal that ended it, if one did. */
  signal: NodeJS.Signals | undefined
  finishedAt: Date
}

/** One running container process (the leader of its own process group). */
export interface ContainerProcess {
  pid: number
  startedAt: Date
  exited: Promise<ContainerExit>
  /** Signals the whole process group; a group that is gone is not an error. */
  signalGroup(signal: NodeJS.Signals): void
  /** Signals the container's main process only. */
  signal(signal: NodeJS.Signals): void
}

/** The container could not be started (the runtime's `StartError`): bad command, working directory, mount. */
export class ContainerStartError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ContainerStartError'
  }
}

/** What the sandbox script writes to fd 3 right before it `exec`s the container's command. */
export const STARTED_MARK = 'started'

function readAll(stream: Readable): Promise<string> {
  return new Promise((resolve) => {
    let text = ''
    stream.setEncoding('utf8')
    stream.on('data', (chunk: string) => {
      text += chunk
    })
    stream.once('close', () => resolve(text))
    stream.once('error', () => resolve(text))
  })
}

/**
 * Starts `unshare --mount --uts --propagation private -- /bin/sh <script> <argv...>` in a new session
 * (its own process group), stdout and stderr appended to `logPath`, with exactly `env` (nothing of the
 * agent's environment leaks in, as nothing of the node's leaks into a real container). Resolves once the
 * script has `exec`ed the command.
 * @throws ContainerStartError when the sandbox or the command could not start; the process is gone then
 */
export async function startContainerProcess(
  script: string,
  argv: string[],
  env: Record<string, string>,
  logPath: string,
): Promise<ContainerProcess> {
  mkdirSync(dirname(logPath), { recursive: true })
  const log = openSync(logPath, 'a')
  let child: ReturnType<typeof spawn>
  try {
    child = spawn(
      'unshare',
      ['--mount', '--uts', '--propagation', 'private', '--', '/bin/sh', script, ...argv],
      {
        detached: true,
        env,
        stdio: ['ignore', log, log, 'pipe'],
      },
    )
  } finally {
    // The child holds its own copy of the descriptor from here on.
    closeSync(log)
  }
  const exited = new Promise<ContainerExit>((resolve) => {
    child.once('exit', (code, signal) => {
      // A container ends with its main process: the runtime kills whatever else is left in it.
      if (child.pid !== undefined) killGroup(child.pid, 'SIGKILL')
      resolve({
        exitCode: signal ? 128 + (constants.signals[signal] ?? 0) : (code ?? 0),
        signal: signal ?? undefined,
        finishedAt: new Date(),
      })
    })
  })
  const spawned = await new Promise<Error | undefined>((resolve) => {
    child.once('error', resolve)
    child.once('spawn', () => resolve(undefined))
  })
  if (spawned) throw new ContainerStartError(`cannot start unshare: ${spawned.message}`)
  const report = await readAll(child.stdio[3] as Readable)
  const startedAt = new Date()
  if (report !== STARTED_MARK) {
    const exit = await exited
    throw new ContainerStartError(
      report ||
        `the node agent's sandbox setup failed with exit code ${exit.exitCode} (its output is in the container's log)`,
    )
  }
  const { pid } = child
  // A child that reported it started has a pid; without one there is nothing to signal or wait for.
  if (pid === undefined)
    throw new ContainerStartError('the container process reported a start but has no pid')
  return {
    pid,
    startedAt,
    exited,
    signalGroup: (signal) => killGroup(pid, signal),
    signal: (signal) => {
      try {
        process.kill(pid, signal)
      } catch {}
    },
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal)
  } catch {}
}
