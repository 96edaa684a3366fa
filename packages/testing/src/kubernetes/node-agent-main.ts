import { readFileSync, rmSync } from 'node:fs'
import { NodeAgent, type NodeAgentConfig } from './node-agent.js'

/** The node agent process's entry. Started by the plane with `fork()`: `node node-agent-main <launch.json>`. */

/** What the plane writes to the launch file. */
export interface AgentLaunch {
  config: NodeAgentConfig
  /** Killed (SIGKILL) and removed if the plane's process disappears without stopping the plane. */
  watchdog: { pids: number[]; stateDir: string }
}

/** A request of the plane over the IPC channel. */
export type AgentRequest =
  | { id: number; method: 'list' }
  | { id: number; method: 'kill'; namespace: string; pod: string; signal: NodeJS.Signals; container?: string }
  | { id: number; method: 'stop' }

/** A message of the agent to the plane. */
export type AgentMessage =
  | { type: 'ready' }
  | { type: 'fatal'; message: string }
  | { type: 'reply'; id: number; result?: unknown; error?: string }

const log = (line: string): void => {
  process.stdout.write(`${new Date().toISOString()} ${line}\n`)
}
const send = (message: AgentMessage): void => {
  if (process.connected) process.send?.(message)
}

const launch = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as AgentLaunch
let agent: NodeAgent | undefined
let stopping = false

/** The plane's process died without `stop()` (killed test worker): leave nothing running behind it. */
function orphaned(): void {
  if (stopping) return
  stopping = true
  log('the plane process is gone: killing the pods and the control plane, removing the state')
  agent?.shutdown()
  for (const pid of launch.watchdog.pids) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {}
  }
  setTimeout(() => {
    rmSync(launch.watchdog.stateDir, { recursive: true, force: true })
    process.exit(0)
  }, 500)
}

process.on('disconnect', orphaned)
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  process.on(signal, () => {
    stopping = true
    agent?.shutdown()
    process.exit(0)
  })
}

process.on('message', (request: AgentRequest) => {
  const reply = (result?: unknown, error?: string) => send({ type: 'reply', id: request.id, result, error })
  try {
    if (!agent) throw new Error('the node agent is still starting')
    if (request.method === 'list') reply(agent.list())
    else if (request.method === 'kill') {
      reply(agent.kill(request.namespace, request.pod, request.signal, request.container))
    } else if (request.method === 'stop') {
      stopping = true
      agent.shutdown()
      reply(true)
      setTimeout(() => process.exit(0), 50)
    }
  } catch (error) {
    reply(undefined, (error as Error).message)
  }
})

try {
  agent = await NodeAgent.start(launch.config, log)
  log(`node ${launch.config.nodeName} registered and Ready; watching pods`)
  send({ type: 'ready' })
} catch (error) {
  log(`cannot start: ${(error as Error).stack ?? String(error)}`)
  send({ type: 'fatal', message: (error as Error).message })
  process.exit(1)
}
