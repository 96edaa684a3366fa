// The tracker's retry policy against a real MLflow server, behind a loopback proxy that answers 503 first.
import { type FaultProxy, recordingLogger, startFaultProxy } from '@strata/testing'
import { startMlflowServer } from '@strata/testing/servers'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { testContext, trackerConfig } from './mlflow.test-helpers.js'
import { MlflowExperimentTracker } from './mlflow-experiment-tracker.js'

const { server, skip } = await startMlflowServer()
afterAll(() => server?.stop())

describe.skipIf(skip)('mlflow tracker retries (real server behind a 503 proxy)', () => {
  let proxy: FaultProxy | undefined
  afterEach(async () => {
    await proxy?.close()
  })

  it('backs off with growing delays (0.5 s doubling, with jitter), then succeeds', async () => {
    proxy = await startFaultProxy(server!.url, {
      times: 3,
      match: ({ url }) => url.endsWith('/experiments/search'),
      body: JSON.stringify({ error_code: 'TEMPORARILY_UNAVAILABLE', message: 'try again' }),
      headers: { 'content-type': 'application/json' },
    })
    const logger = recordingLogger()
    // The default policy: maxRetries 4, first delay 500 ms, doubling, ±25 % jitter.
    const tracker = new MlflowExperimentTracker(
      trackerConfig({ trackingUri: proxy.url }),
      testContext(logger),
    )
    await tracker.verify()
    await tracker.close()

    const attempts = proxy.requests.filter((request) => request.url.endsWith('/experiments/search'))
    expect(attempts.map((request) => request.status)).toEqual([503, 503, 503, 200])
    // The policy, from the waits it logged: 500 ms doubling, each within ±25 %; so they grow.
    const logged = logger.lines
      .filter((line) => line.includes('mlflow request failed, retrying'))
      .map((line) => (JSON.parse(line.slice(line.indexOf('{'))) as { delayMs: number }).delayMs)
    expect(logged).toHaveLength(3)
    logged.forEach((delay, index) => {
      expect(delay).toBeGreaterThanOrEqual(500 * 2 ** index * 0.75)
      expect(delay).toBeLessThanOrEqual(500 * 2 ** index * 1.25)
    })
    // It took those waits: the proxy saw each retry no sooner than its logged delay after the one before.
    // (A lower bound only — a sleep never ends early, and a busy machine only makes the gap longer.)
    attempts.slice(1).forEach((request, index) => {
      expect(request.at - (attempts[index]?.at ?? 0)).toBeGreaterThanOrEqual((logged[index] ?? 0) - 5)
    })
  }, 30_000)
})
