import type { KubernetesTestPlane } from '../kubernetes/start-kubernetes-test-plane.js'
import type { KfpContractServer } from './kfp-contract-server.js'
import { type KfpPlaneRunResult, runKfpPipelineOnPlane } from './kfp-plane-runner.js'

export interface KfpTestBackend {
  /** What each run ended with, by KFP run id. */
  readonly results: ReadonlyMap<string, KfpPlaneRunResult>
  stop(): Promise<void>
}

/**
 * A TEST STAND-IN for KFP's backend behind the contract server: every run created there (or ticked from a
 * recurring run) is run on the test plane with {@link runKfpPipelineOnPlane} — RUNNING, then SUCCEEDED,
 * FAILED or CANCELED — and a run the client terminates (CANCELING) is cancelled. Pods go to the run's
 * namespace, or `defaultNamespace` (single-user KFP runs in its own namespace, `kubeflow`).
 */
export function serveKfpRunsOnPlane(
  server: KfpContractServer,
  plane: KubernetesTestPlane,
  options: { defaultNamespace: string; intervalMs?: number },
): KfpTestBackend {
  const results = new Map<string, KfpPlaneRunResult>()
  const active = new Map<string, { controller: AbortController; done: Promise<void> }>()
  let running = true
  const loop = (async () => {
    while (running) {
      for (const held of await server.runs().catch(() => [])) {
        const id = held.run.run_id
        if (held.run.state === 'CANCELING') active.get(id)?.controller.abort()
        if (held.run.state !== 'PENDING' || active.has(id) || results.has(id)) continue
        const controller = new AbortController()
        const done = (async () => {
          await server.setRunState(id, 'RUNNING')
          const result = await runKfpPipelineOnPlane(plane, {
            namespace: held.namespace ?? options.defaultNamespace,
            pipelineSpec: held.pipelineSpec,
            platformSpec: held.platformSpec,
            parameters:
              (held.run.runtime_config as { parameters?: Record<string, unknown> } | undefined)?.parameters ??
              {},
            runId: id,
            signal: controller.signal,
          }).catch((error: unknown): KfpPlaneRunResult => {
            console.error(`the KFP test backend could not run ${id}: ${(error as Error).message}`)
            return { state: 'FAILED', tasks: {} }
          })
          results.set(id, result)
          const failure = Object.entries(result.tasks).find(([, task]) => task.error)
          await server.setRunState(
            id,
            result.state,
            failure ? `task ${failure[0]}: ${failure[1].error}` : undefined,
          )
        })().catch((error: unknown) => {
          // The test sees a run that never ends: say why here.
          console.error(`the KFP test backend lost run ${id}: ${(error as Error).message}`)
        })
        active.set(id, { controller, done })
      }
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 300))
    }
  })()
  return {
    results,
    async stop() {
      running = false
      await loop
      for (const { controller } of active.values()) controller.abort()
      await Promise.all([...active.values()].map((each) => each.done.catch(() => {})))
    },
  }
}
