// The KFP REST client against the contract server of @strata/testing/kubeflow, which parses every request
// with the published kfp-server-api models and answers as the v2beta1 API documents. Not a real Kubeflow:
// see docs/kubeflow.md for what that does and does not prove.
import { type KfpContractServer, kfpUnavailable, startKfpContractServer } from '@strata/testing/kubeflow'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { training } from '../../../apps/quickstart/src/pipelines.js'
import { compilePipeline } from './compile-pipeline.js'
import { inlinePipeline, KfpClient } from './kfp-client.js'
import { kfpEndpoint } from './kfp-endpoint.js'
import { HANDOVER, RUN_URI, snapshotOf } from './kubeflow.test-helpers.js'
import { kubeflowOrchestratorConfig } from './kubeflow-orchestrator-flavor.js'

const skip = kfpUnavailable()

async function clientFor(
  server: KfpContractServer,
  config: Record<string, unknown> = {},
): Promise<KfpClient> {
  const parsed = kubeflowOrchestratorConfig.parse({ kubeflowHostname: server.url, ...config })
  return new KfpClient(
    await kfpEndpoint(parsed, undefined, () => {
      throw new Error('no kubeconfig in this test')
    }),
  )
}

const compiled = () => compilePipeline(snapshotOf(training), { start: { run: RUN_URI }, handover: HANDOVER })

describe.skipIf(skip)('the KFP v2beta1 client', { timeout: 60_000 }, () => {
  const servers: KfpContractServer[] = []
  const start = async (options: Parameters<typeof startKfpContractServer>[0] = {}) => {
    const { server, skip: reason } = await startKfpContractServer(options)
    if (!server) throw new Error(reason)
    servers.push(server)
    return server
  }
  let open: KfpContractServer
  beforeAll(async () => {
    open = await start()
  }, 60_000)
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()))
  })

  it('finds or creates the experiment, and creates a run with the spec inlined and the platform spec beside it', async () => {
    const client = await clientFor(open)
    const experiment = await client.experiment('training', undefined)
    expect((await client.experiment('training', undefined)).experiment_id).toBe(experiment.experiment_id)
    const pipeline = compiled()
    const run = await client.createRun(
      {
        display_name: 'training-1',
        experiment_id: experiment.experiment_id,
        pipeline_spec: inlinePipeline(pipeline.pipelineSpec, pipeline.platformSpec),
        runtime_config: { parameters: { epochs: 400 } },
      },
      undefined,
    )
    expect(run).toMatchObject({ display_name: 'training-1', state: 'PENDING' })
    const [held] = await open.runs()
    // The server parsed both documents into kfp-pipeline-spec's messages: the tasks and the platform spec arrived whole.
    expect(Object.keys((held!.pipelineSpec.root as { dag: { tasks: object } }).dag.tasks)).toEqual(
      expect.arrayContaining(['strata-start', 'load-data', 'evaluate-model']),
    )
    expect(JSON.stringify(held?.platformSpec)).toContain('training-9c9ae5e1-runtime-1')
    await open.setRunState(run.run_id, 'RUNNING')
    expect((await client.getRun(run.run_id)).state).toBe('RUNNING')
    await client.terminateRun(run.run_id)
    expect((await client.getRun(run.run_id)).state).toBe('CANCELING')
    expect(client.runUrl(run.run_id)).toBe(`${open.url}/#/runs/details/${run.run_id}`)
  })

  it('creates, lists and deletes recurring runs', async () => {
    const client = await clientFor(open)
    const experiment = await client.experiment('nightly', undefined)
    const pipeline = compiled()
    const ids: string[] = []
    for (let index = 0; index < 3; index++) {
      const recurring = await client.createRecurringRun(
        {
          display_name: `nightly-${index}`,
          experiment_id: experiment.experiment_id,
          pipeline_spec: inlinePipeline(pipeline.pipelineSpec, pipeline.platformSpec),
          trigger: { cron_schedule: { cron: '0 30 2 * * *' } },
          mode: 'ENABLE',
          max_concurrency: '10',
          no_catchup: true,
        },
        undefined,
      )
      ids.push(recurring.recurring_run_id)
    }
    expect(
      (await client.listRecurringRuns(undefined)).map((recurring) => recurring.recurring_run_id),
    ).toEqual(ids)
    await client.deleteRecurringRun(ids[0]!)
    expect(await client.listRecurringRuns(undefined)).toHaveLength(2)
    await expect(client.deleteRecurringRun(ids[0]!)).rejects.toMatchObject({ code: 'KUBEFLOW_NOT_FOUND' })
  })

  it('turns what the API refuses into one line: the API’s message and the fix', async () => {
    const client = await clientFor(open)
    const experiment = await client.experiment('refused', undefined)
    const pipeline = compiled()
    // A field the v2beta1 Run does not have; an enum value it does not know; a 5-field cron.
    await expect(
      client.createRun(
        { display_name: 'x', experiment_id: experiment.experiment_id, pipeline_spec: {}, priority: 1 },
        undefined,
      ),
    ).rejects.toThrow(
      /create the KFP run: the KFP API at http:\/\/127\.0\.0\.1:\d+ answered HTTP 400: Invalid input error: run: unknown field "priority" in V2beta1Run \(INVALID_ARGUMENT\)/,
    )
    await expect(
      client.createRecurringRun(
        {
          display_name: 'x',
          experiment_id: experiment.experiment_id,
          pipeline_spec: inlinePipeline(pipeline.pipelineSpec, pipeline.platformSpec),
          trigger: { cron_schedule: { cron: '30 2 * * *' } },
          mode: 'ON',
        },
        undefined,
      ),
    ).rejects.toThrow(/invalid value "ON" for enum RecurringRunMode/)
    await expect(client.getRun('no-such-run')).rejects.toMatchObject({ code: 'KUBEFLOW_NOT_FOUND' })
  })

  it('says so when the host is unreachable', async () => {
    const client = new KfpClient(
      await kfpEndpoint(
        kubeflowOrchestratorConfig.parse({ kubeflowHostname: 'http://127.0.0.1:9' }),
        undefined,
        () => {
          throw new Error('unused')
        },
      ),
    )
    await expect(client.healthz()).rejects.toThrow(
      /check the KFP API: cannot reach the Kubeflow Pipelines API at http:\/\/127\.0\.0\.1:9 \(.*ECONNREFUSED.*\) — check kubeflowHostname/,
    )
  })

  it('sends a bearer token, and names the fix when it is refused', async () => {
    const server = await start({ auth: { token: 's3cr3t-token' } })
    await expect((await clientFor(server)).healthz()).rejects.toThrow(
      /refused the credentials: Unauthenticated: the request has no valid bearer token \(UNAUTHENTICATED\) — check token, or clientUsername and clientPassword/,
    )
    await expect((await clientFor(server, { token: 'wrong' })).healthz()).rejects.toMatchObject({
      code: 'KUBEFLOW_UNAUTHORIZED',
    })
    expect(await (await clientFor(server, { token: 's3cr3t-token' })).healthz()).toEqual({
      multi_user: false,
    })
  })

  it('logs in through a Dex form login and keeps the session; refuses a wrong password', async () => {
    const server = await start({
      auth: { user: 'user@example.com', password: '12341234' },
      multiUser: { namespaces: ['kubeflow-user'] },
    })
    await expect((await clientFor(server)).healthz()).rejects.toThrow(
      /answered with a login page \(HTTP 302 to \/dex\/auth\) instead of the KFP API — set clientUsername and clientPassword/,
    )
    const wrong = await clientFor(server, { clientUsername: 'user@example.com', clientPassword: 'nope' })
    await expect(wrong.healthz()).rejects.toThrow(
      /log in to .* as 'user@example.com': the login was refused .* check clientUsername and clientPassword/,
    )
    const client = await clientFor(server, { clientUsername: 'user@example.com', clientPassword: '12341234' })
    expect(await client.healthz()).toEqual({ multi_user: true })
    const experiment = await client.experiment('training', 'kubeflow-user')
    expect(experiment.namespace).toBe('kubeflow-user')
    const logins = (await server.requests()).filter((request) => request.path === '/dex/auth/local/login')
    expect(logins).toHaveLength(2) // the wrong password, then one login for every later call
  })

  it('on a multi-user Kubeflow: a missing namespace and a forbidden one are named with the fix', async () => {
    const server = await start({ multiUser: { namespaces: ['team-a'] } })
    const client = await clientFor(server)
    await expect(client.experiment('training', undefined)).rejects.toThrow(
      /find experiment 'training': Invalid input error: In multi-user mode, ListExperiments requires a namespace\. \(INVALID_ARGUMENT\) — set userNamespace/,
    )
    await expect(client.experiment('training', 'team-b')).rejects.toThrow(
      /refused it: PermissionDenied: .*namespace 'team-b' is denied \(PERMISSION_DENIED\) — this identity may not use namespace 'team-b': set userNamespace/,
    )
  })
})
