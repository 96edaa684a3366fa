import { type ChildProcess, fork } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { AgentLaunch, AgentMessage, AgentRequest } from './node-agent-main.js'
import { readLogTail } from './plane-process.js'
import type { RunningContainerInfo } from './running-container.js'

/** The test's handle on the node agent (the kubelet stand-in). */
export interface NodeAgentHandle {
  /** The Node's name. */
  readonly nodeName: string
  /** The agent process. */
  readonly pid: number
  /** The container processes running now. */
  list(): Promise<RunningContainerInfo[]>
  /**
   * Sends `signal` to the main process of a running container of the pod (all of them, or `container`),
   * as a fault would (an OOM kill is `SIGKILL`). The agent then reports what a kubelet reports.
   * @default signal 'SIGKILL'
   * @returns how many processes were signalled
   * @throws Error when no such container is running
   */
  kill(namespace: string, pod: string, signal?: NodeJS.Signals, container?: string): Promise<number>
  /**
   * What a container wrote to stdout and stderr (interleaved), from the agent's log files — there is no
   * kubelet endpoint, so `kubectl logs` does not work. The newest pod of that name, its only container
   * unless `container` is given, its current instance unless `previous`.
   * @throws Error when the pod or container has no log
   */
  logs(namespace: string, pod: string, container?: string, options?: { previous?: boolean }): Promise<string>
  /** The agent's own recent log lines, for failure messages. */
  output(): string
}

/** The plane's side of the agent process. */
export interface NodeAgentProcess extends NodeAgentHandle {
  stop(): Promise<void>
}

/** A request without its id (distributed over the union, so each method keeps its own fields). */
type Call = AgentRequest extends infer Request
  ? Request extends AgentRequest
    ? Omit<Request, 'id'>
    : never
  : never

interface Pending {
  resolve(value: unknown): void
  reject(error: Error): void
}

async function newestDirectory(parent: string, prefix: string): Promise<string | undefined> {
  const names = (await readdir(parent).catch(() => [] as string[])).filter((name) => name.startsWith(prefix))
  const dated = await Promise.all(
    names.map(async (name) => ({ name, at: (await stat(join(parent, name))).mtimeMs })),
  )
  return dated.sort((a, b) => b.at - a.at)[0]?.name
}

/**
 * Starts the node agent as a child process and waits until its node is registered and its watches are
 * synced. A child process, not code in the test's process, because the agent must keep time on its own:
 * a test that blocks its event loop (sync I/O, a long loop) or uses fake timers would otherwise freeze
 * leases, grace periods and deadlines; an agent crash cannot take the test worker down; and the agent
 * notices when the test process dies (its IPC channel closes) and kills the pods and the control plane
 * instead of leaving them behind.
 * @throws Error with the agent's log when it exits or reports a fatal error before it is ready
 */
export async function startNodeAgent(launch: AgentLaunch, timeoutMs: number): Promise<NodeAgentProcess> {
  const stateDir = launch.config.stateDir
  const launchFile = join(stateDir, 'node-agent.json')
  await writeFile(launchFile, JSON.stringify(launch), { mode: 0o600 })
  const logFile = join(stateDir, 'logs', 'node-agent.log')
  const log = openSync(logFile, 'a')
  const fromSource = import.meta.url.endsWith('.ts')
  const entry = new URL(fromSource ? './node-agent-main.ts' : './kubernetes-node-agent.js', import.meta.url)
  const execArgv = fromSource
    ? [
        ...(process.features.typescript ? [] : ['--experimental-strip-types']),
        '--disable-warning=ExperimentalWarning',
        '--import',
        new URL('./ts-source-hooks.ts', import.meta.url).href,
      ]
    : []
  let child: ChildProcess
  try {
    child = fork(entry, [launchFile], { execArgv, stdio: ['ignore', log, log, 'ipc'], serialization: 'json' })
  } finally {
    closeSync(log)
  }
  const pending = new Map<number, Pending>()
  let nextId = 1
  let exited = false
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.once('exit', () => {
    exited = true
    for (const request of pending.values()) request.reject(new Error('the node agent exited'))
  })
  const ready = new Promise<void>((resolve, reject) => {
    child.on('message', (message: AgentMessage) => {
      if (message.type === 'ready') resolve()
      else if (message.type === 'fatal') reject(new Error(`the node agent failed: ${message.message}`))
      else {
        const request = pending.get(message.id)
        pending.delete(message.id)
        if (message.error !== undefined) request?.reject(new Error(message.error))
        else request?.resolve(message.result)
      }
    })
    child.once('exit', (code) => reject(new Error(`the node agent exited with ${code} before it was ready`)))
  })
  const output = () => readLogTail(logFile)
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([
      ready,
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`the node agent was not ready within ${timeoutMs} ms`)),
          timeoutMs,
        )
      }),
    ])
  } catch (error) {
    child.kill('SIGKILL')
    throw new Error(`${(error as Error).message}:\n${output()}`)
  } finally {
    clearTimeout(timer)
  }
  const call = <T>(request: Call): Promise<T> => {
    if (exited) return Promise.reject(new Error('the node agent is not running'))
    const id = nextId++
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject })
      child.send({ ...request, id })
    })
  }
  const logsDir = join(stateDir, 'pod-logs')
  const { pid } = child
  if (pid === undefined)
    throw new Error(`the node agent has no pid although it said it was ready:\n${output()}`)
  return {
    nodeName: launch.config.nodeName,
    pid,
    list: () => call<RunningContainerInfo[]>({ method: 'list' }),
    kill: (namespace, pod, signal = 'SIGKILL', container) =>
      call<number>({ method: 'kill', namespace, pod, signal, ...(container ? { container } : {}) }),
    async logs(namespace, pod, container, options = {}) {
      const podDir = await newestDirectory(logsDir, `${namespace}_${pod}_`)
      if (!podDir) throw new Error(`no logs for pod ${namespace}/${pod} on node ${launch.config.nodeName}`)
      const containers = await readdir(join(logsDir, podDir))
      const name = container ?? (containers.length === 1 ? containers[0] : undefined)
      if (!name || !containers.includes(name)) {
        throw new Error(`pod ${namespace}/${pod}: name one of its containers: ${containers.join(', ')}`)
      }
      const instances = (await readdir(join(logsDir, podDir, name)))
        .map((file) => Number.parseInt(file, 10))
        .sort((a, b) => b - a)
      const instance = instances[options.previous ? 1 : 0]
      if (instance === undefined)
        throw new Error(`pod ${namespace}/${pod} container ${name} has no previous instance`)
      return readFile(join(logsDir, podDir, name, `${instance}.log`), 'utf8')
    },
    output,
    async stop() {
      if (exited) return
      await Promise.race([call({ method: 'stop' }).catch(() => {}), exit])
      const killed = await Promise.race([
        exit.then(() => true),
        new Promise((r) => setTimeout(() => r(false), 5000)),
      ])
      if (!killed) child.kill('SIGKILL')
      await exit
    },
  }
}
