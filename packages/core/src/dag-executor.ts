import type { StepOutcome, StepRunState } from './orchestrator.js'
import type { FailureMode } from './snapshot.js'

export interface DagNode {
  id: string
  /** Ids that must finish (completed or cached) before this node starts. */
  upstream: readonly string[]
}

export interface ExecuteDagOptions {
  /** Nodes in topological order. */
  nodes: readonly DagNode[]
  /** Nodes already done (e.g. resolved from the cache): never executed, count as succeeded. */
  done?: ReadonlySet<string>
  /** Most nodes running at once. */
  concurrency: number
  failureMode: FailureMode
  /** Aborting stops starting nodes and aborts running ones (their outcome decides their state). */
  signal?: AbortSignal
  /** Aborting stops starting nodes and lets running ones finish (a graceful stop). */
  drain?: AbortSignal
  /** Runs one node; `signal` aborts it (fail_fast or the run's signal). Must not throw. */
  execute(id: string, signal: AbortSignal): Promise<StepOutcome>
}

/**
 * Runs a DAG with bounded concurrency and ZenML's failure modes, shared by orchestrators:
 * - `continue_on_failure`: keep running everything that does not depend on a failed node; its
 *   descendants end `skipped`.
 * - `stop_on_failure`: after a failure start nothing new, let running nodes finish; the rest end
 *   `not_started` (descendants of the failure `skipped`).
 * - `fail_fast`: after a failure also abort running nodes (they end `stopped` unless they finish first).
 * Resolves once nothing runs; every node gets a final state.
 */
export async function executeDag(options: ExecuteDagOptions): Promise<Record<string, StepRunState>> {
  const states: Record<string, StepRunState> = {}
  const downstream = new Map<string, string[]>()
  const waitingOn = new Map<string, number>()
  const done = options.done ?? new Set<string>()
  for (const node of options.nodes) {
    waitingOn.set(node.id, node.upstream.filter((id) => !done.has(id)).length)
    for (const up of node.upstream) {
      const children = downstream.get(up)
      if (children) children.push(node.id)
      else downstream.set(up, [node.id])
    }
  }
  const abortRunning = new AbortController()
  const onAbort = (): void => abortRunning.abort(options.signal?.reason)
  options.signal?.addEventListener('abort', onAbort, { once: true })
  // A drain only stops starting; a node settling after it finds nothing new to start.
  const onDrain = (): void => {
    stopping = true
  }
  options.drain?.addEventListener('abort', onDrain, { once: true })

  const ready: string[] = []
  for (const node of options.nodes) {
    if (done.has(node.id)) states[node.id] = 'cached'
    else if (waitingOn.get(node.id) === 0) ready.push(node.id)
  }
  let stopping = false
  let running = 0

  const skipDescendants = (id: string): void => {
    for (const child of downstream.get(id) ?? []) {
      if (states[child] !== undefined) continue
      states[child] = 'skipped'
      skipDescendants(child)
    }
  }

  return new Promise((resolve) => {
    const finish = (): void => {
      for (const node of options.nodes) states[node.id] ??= 'not_started'
      options.signal?.removeEventListener('abort', onAbort)
      options.drain?.removeEventListener('abort', onDrain)
      resolve(states)
    }
    const pump = (): void => {
      if (options.signal?.aborted || options.drain?.aborted) stopping = true
      while (!stopping && running < options.concurrency) {
        const id = ready.shift()
        if (id === undefined) break
        if (states[id] !== undefined) continue
        running++
        options.execute(id, abortRunning.signal).then(
          (outcome) => settle(id, outcome),
          (error: unknown) => settle(id, { status: 'failed', error: String(error) }),
        )
      }
      if (running === 0) finish()
    }
    const settle = (id: string, outcome: StepOutcome): void => {
      running--
      states[id] = outcome.status
      if (outcome.status === 'completed' || outcome.status === 'cached') {
        for (const child of downstream.get(id) ?? []) {
          const left = (waitingOn.get(child) ?? 1) - 1
          waitingOn.set(child, left)
          if (left === 0 && states[child] === undefined) ready.push(child)
        }
      } else {
        skipDescendants(id)
        if (options.failureMode !== 'continue_on_failure') stopping = true
        if (options.failureMode === 'fail_fast')
          abortRunning.abort(new Error(`step '${id}' failed (fail_fast)`))
      }
      pump()
    }
    pump()
  })
}
