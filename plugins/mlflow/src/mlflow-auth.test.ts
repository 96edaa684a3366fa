import { recordingLogger } from '@strata/testing'
import { mlflowApi, startMlflowServer } from '@strata/testing/servers'
import { afterAll, describe, expect, it } from 'vitest'
import { testContext, trackerConfig } from './mlflow.test-helpers.js'
import { MlflowExperimentTracker } from './mlflow-experiment-tracker.js'

// MLflow refuses its old default admin password, so each run makes its own.
const adminPassword = `admin-${crypto.randomUUID()}`
const CANARY = `canary-${crypto.randomUUID()}`
const { server, skip } = await startMlflowServer({ basicAuth: { adminPassword } })

afterAll(async () => {
  await server?.stop()
})

function tracker(raw: Record<string, unknown>, env: Record<string, string> = {}, logger = recordingLogger()) {
  return new MlflowExperimentTracker(
    trackerConfig({ trackingUri: server!.url, maxRetries: 0, ...raw }),
    testContext(logger),
    { env },
  )
}

const run = { pipelineName: 'secured', runId: 'r-1', runName: 'secured-1' }

describe.skipIf(skip)("mlflow tracker against MLflow's basic-auth app", () => {
  it('logs with the right credentials, from the config or from MLFLOW_TRACKING_USERNAME/PASSWORD', async () => {
    const fromConfig = tracker({ username: 'admin', password: adminPassword })
    await fromConfig.verify()
    const pipeline = await fromConfig.startPipelineRun(run)
    const step = await fromConfig.startStep({ ...run, stepName: 'train', pipelineState: pipeline.state })
    step.logParams({ seed: 7 })
    await step.logArtifact(new TextEncoder().encode('secured bytes'), 'out.txt')
    await step.end('completed')
    await pipeline.end('completed')

    const fromEnv = tracker(
      {},
      { MLFLOW_TRACKING_USERNAME: 'admin', MLFLOW_TRACKING_PASSWORD: adminPassword },
    )
    await fromEnv.verify()

    const { run: stored } = await mlflowApi<{
      run: { info: { status: string }; data: { params: unknown[] } }
    }>(server!, 'runs/get', { query: { run_id: step.runId }, auth: `admin:${adminPassword}` })
    expect(stored.info.status).toBe('FINISHED')
    expect(stored.data.params).toEqual([{ key: 'seed', value: '7' }])
  })

  it('names missing and refused credentials, and how to fix them', async () => {
    await expect(tracker({}).verify()).rejects.toMatchObject({
      code: 'MLFLOW_AUTH_FAILED',
      message: expect.stringMatching(
        /requires authentication \(HTTP 401\) and no credentials are configured — set username and password/,
      ),
    })
    await expect(
      tracker({ username: 'admin', password: 'wrong-password' }).startPipelineRun(run),
    ).rejects.toMatchObject({
      code: 'MLFLOW_AUTH_FAILED',
      message: expect.stringContaining('refused the configured username and password (HTTP 401)'),
    })
  })

  it('names a permission the MLflow user lacks', async () => {
    await mlflowApi(server!, 'users/create', {
      body: { username: 'reader', password: 'reader-password-123' },
      auth: `admin:${adminPassword}`,
    })
    // The admin's experiment exists; 'reader' may read it (default_permission = READ) but not log to it.
    const error = await tracker({ username: 'reader', password: 'reader-password-123' })
      .startPipelineRun(run)
      .catch((e) => e)
    expect(error).toMatchObject({ code: 'MLFLOW_PERMISSION_DENIED', details: { status: 403 } })
    expect(error.message).toContain('grant the configured MLflow user permission on the experiment')
  })

  it('never shows a wrong password in errors or logs', async () => {
    const logger = recordingLogger()
    const subject = tracker({ username: 'admin', password: CANARY, maxRetries: 1 }, {}, logger)
    const errors = [
      await subject.verify().catch((e) => e),
      await subject.startPipelineRun(run).catch((e) => e),
    ]
    expect(errors.map((error) => error.code)).toEqual(['MLFLOW_AUTH_FAILED', 'MLFLOW_AUTH_FAILED'])
    const seen: string[] = [...logger.lines]
    for (let current: unknown = errors[0]; current instanceof Error; current = current.cause) {
      seen.push(current.message, JSON.stringify(current))
    }
    for (const error of errors) seen.push(String(error), error.stack ?? '')
    expect(seen.join('\n')).not.toContain(CANARY)
    expect(seen.join('\n')).not.toContain(Buffer.from(`admin:${CANARY}`).toString('base64'))
  })
})
