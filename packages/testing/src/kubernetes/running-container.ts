import { open } from 'node:fs/promises'
import type { ContainerExit, ContainerProcess } from './container-process.js'
import type { ContainerRecord } from './pod-status.js'

/** A container instance whose process is alive. */
export interface RunningContainer {
  record: ContainerRecord
  process: ContainerProcess
  /** Settles when the process has exited. */
  settled: Promise<ContainerExit>
  logPath: string
}

/** What the agent's `list()` reports of a running container. */
export interface RunningContainerInfo {
  namespace: string
  pod: string
  uid: string
  container: string
  init: boolean
  /** The container's main process (leader of its process group). */
  pid: number
  restartCount: number
  startedAt: string
  logPath: string
}

/** Waits `ms` or until `signal` aborts, whichever is first; never rejects. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve()
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, Math.min(ms, 2 ** 31 - 1))
    signal.addEventListener('abort', done, { once: true })
  })
}

/** The last `bytes` of a log (for `terminationMessagePolicy: FallbackToLogsOnError`: 2048 bytes, 80 lines). */
export async function logTail(path: string, bytes = 2048, lines = 80): Promise<string> {
  const file = await open(path, 'r').catch(() => undefined)
  if (!file) return ''
  try {
    const { size } = await file.stat()
    const length = Math.min(size, bytes)
    const buffer = Buffer.alloc(length)
    await file.read(buffer, 0, length, size - length)
    return buffer.toString('utf8').split('\n').slice(-lines).join('\n')
  } finally {
    await file.close()
  }
}
