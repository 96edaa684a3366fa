import { StrataError } from '@strata/core'
import { isLoginAnswer, kfpError } from './kfp-errors.js'
import { type HttpAnswer, type HttpRequest, httpExchange } from './kfp-http.js'
import type { PipelineSpec, PlatformSpec } from './pipeline-spec.js'

/** How long one API call may take before the API counts as unreachable. */
const CALL_TIMEOUT_MS = 30_000

export type KfpRunState =
  | 'RUNTIME_STATE_UNSPECIFIED'
  | 'PENDING'
  | 'RUNNING'
  | 'SUCCEEDED'
  | 'SKIPPED'
  | 'FAILED'
  | 'CANCELING'
  | 'CANCELED'
  | 'PAUSED'

export const FINAL_RUN_STATES: ReadonlySet<KfpRunState> = new Set([
  'SUCCEEDED',
  'SKIPPED',
  'FAILED',
  'CANCELED',
])

/** v2beta1 `Run`, as much of it as Strata reads. */
export interface KfpRun {
  run_id: string
  display_name?: string
  experiment_id?: string
  state?: KfpRunState
  error?: { code?: number; message?: string }
  created_at?: string
  finished_at?: string
}

export interface KfpExperiment {
  experiment_id: string
  display_name: string
  namespace?: string
}

export interface KfpRecurringRun {
  recurring_run_id: string
  display_name: string
  description?: string
  mode?: 'MODE_UNSPECIFIED' | 'ENABLE' | 'DISABLE'
  trigger?: { cron_schedule?: { cron?: string } }
  created_at?: string
  namespace?: string
  experiment_id?: string
}

/** A pipeline as the v2beta1 API takes it inline: the IR, with its platform spec beside it. */
export function inlinePipeline(
  pipelineSpec: PipelineSpec,
  platformSpec: PlatformSpec,
): Record<string, unknown> {
  return { pipeline_spec: pipelineSpec, platform_spec: platformSpec }
}

/** Where the KFP API is and how to talk to it. */
export interface KfpEndpoint {
  /** The API's base URL: `…/apis/v2beta1/…` follows it. */
  baseUrl: string
  /** The KFP UI's base URL, for run links. */
  uiUrl: string
  connection?: HttpRequest['connection']
  /** Headers that authenticate a call (a bearer token, a session cookie). */
  auth(): Promise<Record<string, string>>
  /** Forgets a session the API refused, so the next `auth()` logs in again. */
  expire?(): void
}

/** The KFP REST API v2beta1: experiments, runs (spec inlined), recurring runs. */
export class KfpClient {
  readonly #endpoint: KfpEndpoint

  constructor(endpoint: KfpEndpoint) {
    this.#endpoint = endpoint
  }

  get uiUrl(): string {
    return this.#endpoint.uiUrl
  }

  /** The KFP UI's page of a run. */
  runUrl(runId: string): string {
    return `${this.#endpoint.uiUrl.replace(/\/$/, '')}/#/runs/details/${runId}`
  }

  async #call<T>(
    what: string,
    method: string,
    path: string,
    options: {
      query?: Record<string, string | undefined>
      body?: unknown
      namespace?: string | undefined
    } = {},
  ): Promise<T> {
    const query = new URLSearchParams(
      Object.entries(options.query ?? {}).filter(
        (entry): entry is [string, string] => entry[1] !== undefined,
      ),
    ).toString()
    const url = `${this.#endpoint.baseUrl.replace(/\/$/, '')}/apis/v2beta1/${path}${query ? `?${query}` : ''}`
    const send = async (): Promise<HttpAnswer> =>
      httpExchange(
        {
          method,
          url,
          headers: await this.#endpoint.auth(),
          ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
          ...(this.#endpoint.connection ? { connection: this.#endpoint.connection } : {}),
          timeoutMs: CALL_TIMEOUT_MS,
        },
        what,
      )
    let answer = await send()
    // A session expires: log in once more before giving up.
    if (this.#endpoint.expire && (answer.status === 401 || isLoginAnswer(answer))) {
      this.#endpoint.expire()
      answer = await send()
    }
    if (answer.status < 200 || answer.status >= 300 || isLoginAnswer(answer)) {
      throw kfpError(what, answer, {
        host: new URL(this.#endpoint.baseUrl).origin,
        ...(options.namespace ? { namespace: options.namespace } : {}),
      })
    }
    if (answer.text.trim() === '') return {} as T
    try {
      return JSON.parse(answer.text) as T
    } catch {
      throw new StrataError(
        'KUBEFLOW_API_ERROR',
        `${what}: ${url} answered something other than JSON (${answer.text.slice(0, 80)}) — check that kubeflowHostname is the KFP API endpoint`,
      )
    }
  }

  /** `GET /apis/v2beta1/healthz`: reachable, and whether it is a multi-user deployment. */
  healthz(): Promise<{ multi_user?: boolean }> {
    return this.#call('check the KFP API', 'GET', 'healthz')
  }

  /** The experiment of this name (in `namespace` on a multi-user Kubeflow), created when missing. */
  async experiment(name: string, namespace: string | undefined): Promise<KfpExperiment> {
    const filter = JSON.stringify({
      predicates: [{ operation: 'EQUALS', key: 'display_name', stringValue: name }],
    })
    const found = await this.#call<{ experiments?: KfpExperiment[] }>(
      `find experiment '${name}'`,
      'GET',
      'experiments',
      { query: { filter, namespace, page_size: '2' }, namespace },
    )
    const [existing] = found.experiments ?? []
    if (existing) return existing
    return this.#call<KfpExperiment>(`create experiment '${name}'`, 'POST', 'experiments', {
      body: {
        display_name: name,
        description: `Runs of Strata pipeline '${name}'`,
        ...(namespace ? { namespace } : {}),
      },
      namespace,
    })
  }

  createRun(body: Record<string, unknown>, namespace: string | undefined): Promise<KfpRun> {
    return this.#call('create the KFP run', 'POST', 'runs', { body, namespace })
  }

  getRun(runId: string): Promise<KfpRun> {
    return this.#call(`read KFP run ${runId}`, 'GET', `runs/${encodeURIComponent(runId)}`)
  }

  async terminateRun(runId: string): Promise<void> {
    await this.#call(`terminate KFP run ${runId}`, 'POST', `runs/${encodeURIComponent(runId)}:terminate`)
  }

  createRecurringRun(body: Record<string, unknown>, namespace: string | undefined): Promise<KfpRecurringRun> {
    return this.#call('create the KFP recurring run', 'POST', 'recurringruns', { body, namespace })
  }

  /** Every recurring run (in `namespace` on a multi-user Kubeflow), all pages. */
  async listRecurringRuns(namespace: string | undefined): Promise<KfpRecurringRun[]> {
    const all: KfpRecurringRun[] = []
    let pageToken: string | undefined
    do {
      const page = await this.#call<{ recurringRuns?: KfpRecurringRun[]; next_page_token?: string }>(
        'list the KFP recurring runs',
        'GET',
        'recurringruns',
        { query: { namespace, page_size: '100', page_token: pageToken }, namespace },
      )
      all.push(...(page.recurringRuns ?? []))
      pageToken = page.next_page_token || undefined
    } while (pageToken)
    return all
  }

  async deleteRecurringRun(id: string): Promise<void> {
    await this.#call(`delete KFP recurring run ${id}`, 'DELETE', `recurringruns/${encodeURIComponent(id)}`)
  }
}
