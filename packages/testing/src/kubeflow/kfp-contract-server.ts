import {
  freePort,
  spawnServer,
  startTestServer,
  type TestServer,
  type TestServerResult,
} from '../test-server.js'
import { KFP_INSTALL_HINT, kfpPython, pythonScript } from './kfp-sdk.js'

export interface KfpContractServerOptions {
  /** How the API authenticates: a bearer token, or a Dex-like form login (user and password). @default none */
  auth?: { token: string } | { user: string; password: string }
  /** A multi-user Kubeflow: every call names a namespace, one of `namespaces`. */
  multiUser?: { namespaces: string[] }
  /** Runs go PENDING → RUNNING → SUCCEEDED on successive reads; otherwise the test sets their states. */
  autoSucceed?: boolean
  /** The address to listen on (`0.0.0.0`: every interface, for a caller that is not on loopback). @default 127.0.0.1 */
  host?: string
}

/** A run as the contract server holds it: the API's document and the pipeline it was given, parsed. */
export interface KfpContractRun {
  run: {
    run_id: string
    display_name: string
    experiment_id: string
    state: string
    runtime_config?: unknown
  }
  /** `MessageToDict` of the parsed PipelineSpec and PlatformSpec. */
  pipelineSpec: Record<string, unknown>
  platformSpec: Record<string, unknown>
  /** What the client sent as `pipeline_spec`. */
  raw: unknown
  namespace: string | null
}

export interface KfpContractServer extends TestServer {
  /** The runs created so far. */
  runs(): Promise<KfpContractRun[]>
  /** Sets a run's state (`RUNNING`, `SUCCEEDED`, `FAILED`, `CANCELED`, …), as KFP's backend would. */
  setRunState(runId: string, state: string, error?: string): Promise<void>
  recurringRuns(): Promise<Array<Record<string, unknown>>>
  /** Starts a run of a recurring run now, as KFP's scheduler does at each tick. @returns the run's id */
  triggerRecurringRun(id: string): Promise<string>
  /** Every request seen: method, path, query. */
  requests(): Promise<Array<{ method: string; path: string; query: string }>>
}

/**
 * Starts the KFP API v2beta1 contract server (python/kfp_contract_server.py) on a free port: it parses
 * every request strictly with the published kfp-server-api models and answers as the API documents,
 * errors and auth failures included. A stand-in for tests of a KFP client — not Kubeflow: nothing runs a
 * pipeline unless the test does (see `runKfpPipelineOnPlane`). Skips (fails with `CI=true`) without kfp.
 */
export async function startKfpContractServer(
  options: KfpContractServerOptions = {},
): Promise<TestServerResult<KfpContractServer>> {
  return startTestServer('the KFP API contract server', KFP_INSTALL_HINT, async () => {
    const python = kfpPython()
    if (!python) throw new Error('kfp is not installed')
    const port = await freePort()
    const args = [
      pythonScript('kfp_contract_server.py'),
      '--port',
      String(port),
      '--host',
      options.host ?? '127.0.0.1',
    ]
    if (options.auth && 'token' in options.auth) args.push('--auth', 'token', '--token', options.auth.token)
    if (options.auth && 'user' in options.auth)
      args.push('--auth', 'dex', '--user', options.auth.user, '--password', options.auth.password)
    if (options.multiUser) args.push('--multi-user', '--namespaces', options.multiUser.namespaces.join(','))
    if (options.autoSucceed) args.push('--auto-succeed')
    const server = await spawnServer({
      command: python,
      args,
      port,
      readyPath: '/_test/requests',
      timeoutMs: 60_000,
    })
    const control = async <T>(path: string, body?: unknown): Promise<T> => {
      const response = await fetch(`${server.url}/_test/${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        ...(body === undefined
          ? {}
          : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      })
      if (!response.ok)
        throw new Error(`contract server /_test/${path}: HTTP ${response.status} ${await response.text()}`)
      return (await response.json()) as T
    }
    return {
      ...server,
      runs: () => control<KfpContractRun[]>('runs'),
      setRunState: async (runId, state, error) => {
        await control(`runs/${runId}/state`, { state, ...(error ? { error } : {}) })
      },
      recurringRuns: () => control('recurringruns'),
      triggerRecurringRun: async (id) =>
        (await control<{ run_id: string }>(`recurringruns/${id}/trigger`, {})).run_id,
      requests: () => control('requests'),
    }
  })
}
