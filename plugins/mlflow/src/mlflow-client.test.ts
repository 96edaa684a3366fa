// How the tracker behaves when the network or the server misbehaves. MLflow cannot be made to hang, answer
// 503 or present a self-signed certificate on demand, so these use small local servers that do exactly that.
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { createServer as createTcpServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { freePort, recordingLogger } from '@strata/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { testContext, trackerConfig } from './mlflow.test-helpers.js'
import { MlflowExperimentTracker, type MlflowExperimentTrackerOptions } from './mlflow-experiment-tracker.js'

const CANARY = 'canary-Pa55w0rd-7c1e'
const run = { pipelineName: 'p', runId: 'r', runName: 'p-1' }
const cleanups: Array<() => Promise<void>> = []

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

type Handler = (request: IncomingMessage, body: string, response: ServerResponse) => void

/** A local HTTP server answering with `handler`; records each request's path and Authorization header. */
async function fakeServer(
  handler: Handler,
): Promise<{ url: string; requests: Array<{ path: string; authorization?: string }> }> {
  const requests: Array<{ path: string; authorization?: string }> = []
  const server = createHttpServer((request, response) => {
    let body = ''
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString()
    })
    request.on('end', () => {
      requests.push({
        path: request.url ?? '',
        ...(request.headers.authorization ? { authorization: request.headers.authorization } : {}),
      })
      handler(request, body, response)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(() => closeServer(server))
  const address = server.address() as { port: number }
  return { url: `http://127.0.0.1:${address.port}`, requests }
}

async function closeServer(server: Server & { closeAllConnections?: () => void }): Promise<void> {
  server.closeAllConnections?.()
  await new Promise<void>((resolve) => server.close(() => resolve()))
}

function json(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body))
}

function tracker(
  raw: Record<string, unknown>,
  options: MlflowExperimentTrackerOptions = {},
  logger = recordingLogger(),
): MlflowExperimentTracker {
  return new MlflowExperimentTracker(trackerConfig(raw), testContext(logger), {
    env: {},
    retryDelayMs: 20,
    ...options,
  })
}

/** Every string an error carries: message, cause chain and details, as a caller could print them. */
function everything(error: unknown): string {
  const parts: string[] = []
  let current: unknown = error
  while (current instanceof Error) {
    parts.push(
      current.message,
      JSON.stringify(current),
      JSON.stringify((current as { details?: unknown }).details),
    )
    current = current.cause
  }
  return parts.join('\n')
}

describe('mlflow client: unreachable, slow and failing servers', () => {
  it('says clearly that a closed port is unreachable, after its retries, without hanging', async () => {
    // Without hanging: the test's own timeout is the bound; the attempts below say how many calls it made.
    const port = await freePort()
    const error = await tracker({ trackingUri: `http://127.0.0.1:${port}`, maxRetries: 2 })
      .startPipelineRun(run)
      .catch((e) => e)
    expect(error).toMatchObject({ name: 'StrataError', code: 'MLFLOW_UNREACHABLE' })
    expect(error.message).toBe(
      `experiment_tracker 'mlflow-test' (MLflow at http://127.0.0.1:${port}): looking up experiment 'p' failed: cannot reach the server (ECONNREFUSED, 3 attempt(s)) — check that the MLflow server is running and that trackingUri is right`,
    )
    expect(error.cause).toMatchObject({ name: 'MlflowHttpError', details: { method: 'GET', attempts: 3 } })
  })

  it('gives up on a server that accepts connections but never answers, after requestTimeoutMs', async () => {
    const sockets = new Set<Socket>()
    const silent = createTcpServer((socket) => {
      sockets.add(socket)
    })
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    cleanups.push(async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => silent.close(() => resolve()))
    })
    const { port } = silent.address() as { port: number }
    const started = Date.now()
    const requestTimeoutMs = 300
    const error = await tracker({ trackingUri: `http://127.0.0.1:${port}`, requestTimeoutMs, maxRetries: 1 })
      .verify()
      .catch((e) => e)
    // The subject is a timeout: two attempts of 300 ms (and a 20 ms retry delay) take ~0.6 s; the bound is
    // five times that, derived from the configured timeout, so only a client that ignores it fails here.
    expect(Date.now() - started).toBeLessThan(2 * requestTimeoutMs * 5)
    expect(error).toMatchObject({ code: 'MLFLOW_TIMEOUT' })
    expect(error.message).toContain('no answer within 300 ms (2 attempt(s)) — ')
    expect(error.message).toContain('raise requestTimeoutMs')
  })

  it('retries HTTP 503 and 429 (honouring Retry-After) and then succeeds', async () => {
    let calls = 0
    const server = await fakeServer((_request, _body, response) => {
      calls++
      if (calls === 1) return json(response, 503, { error_code: 'TEMPORARILY_UNAVAILABLE', message: 'busy' })
      if (calls === 2)
        return json(
          response,
          429,
          { error_code: 'REQUEST_LIMIT_EXCEEDED', message: 'slow down' },
          { 'retry-after': '1' },
        )
      json(response, 200, { experiments: [] })
    })
    const logger = recordingLogger()
    await tracker({ trackingUri: server.url }, {}, logger).verify()
    expect(calls).toBe(3)
    // The waits it took, as it logged them: ~20 ms (the test's retry delay, jittered), then Retry-After's 1 s.
    const delays = logger.lines
      .filter((line) => line.includes('mlflow request failed, retrying'))
      .map((line) => (JSON.parse(line.slice(line.indexOf('{'))) as { delayMs: number }).delayMs)
    expect(delays).toHaveLength(2)
    expect(delays[0]).toBeLessThan(100)
    expect(delays[1]).toBe(1000)
  })

  it('stops retrying a 5xx after maxRetries and does not retry a 4xx', async () => {
    const failing = await fakeServer((_request, _body, response) =>
      json(response, 500, { error_code: 'INTERNAL_ERROR', message: 'db down' }),
    )
    const error = await tracker({ trackingUri: failing.url, maxRetries: 2 })
      .verify()
      .catch((e) => e)
    expect(failing.requests).toHaveLength(3)
    expect(error).toMatchObject({
      code: 'MLFLOW_REQUEST_FAILED',
      details: { status: 500, mlflowErrorCode: 'INTERNAL_ERROR' },
    })
    expect(error.message).toContain(
      "checking the connection failed: MLflow answered INTERNAL_ERROR (HTTP 500, after 3 attempt(s)): db down — check the MLflow server's logs",
    )

    const refusing = await fakeServer((_request, _body, response) =>
      json(response, 400, { error_code: 'BAD_REQUEST', message: 'no' }),
    )
    await expect(tracker({ trackingUri: refusing.url, maxRetries: 2 }).verify()).rejects.toMatchObject({
      code: 'MLFLOW_REQUEST_FAILED',
    })
    expect(refusing.requests).toHaveLength(1)
  })

  it('says when trackingUri is not an MLflow server', async () => {
    const other = await fakeServer((_request, _body, response) =>
      response.writeHead(404).end('<html>not here</html>'),
    )
    await expect(tracker({ trackingUri: other.url }).verify()).rejects.toMatchObject({
      code: 'MLFLOW_REQUEST_FAILED',
      message: expect.stringContaining('check that trackingUri is the base URL of an MLflow tracking server'),
    })
  })

  it('surfaces a delivery failure from end() and still marks the run FAILED', async () => {
    const server = await fakeServer((request, body, response) => {
      if (request.url?.endsWith('/runs/create'))
        return json(response, 200, {
          run: {
            info: { run_id: 'abc', experiment_id: '1', artifact_uri: 'mlflow-artifacts:/1/abc/artifacts' },
          },
        })
      if (request.url?.endsWith('/runs/log-batch'))
        return json(response, 503, { error_code: 'TEMPORARILY_UNAVAILABLE', message: 'busy' })
      if (request.url?.endsWith('/runs/update')) return json(response, 200, { run_info: JSON.parse(body) })
      json(response, 404, { error_code: 'ENDPOINT_NOT_FOUND', message: request.url })
    })
    const step = await tracker({ trackingUri: server.url, maxRetries: 1 }).startStep({
      ...run,
      stepName: 's',
      pipelineState: { mlflow: 1, experimentId: '1' },
    })
    step.logMetric('loss', 1)
    await expect(step.end('completed')).rejects.toMatchObject({
      code: 'MLFLOW_REQUEST_FAILED',
      message: expect.stringContaining(
        "logging 1 params/metrics/tags of step 's' to run abc (request 1 of 1) failed",
      ),
    })
    expect(server.requests.map((request) => request.path.split('/').at(-1))).toEqual([
      'create',
      'log-batch',
      'log-batch',
      'update',
    ])
  })
  it('waits in end() for an artifact upload the step did not await, and fails when it failed', async () => {
    const statuses: string[] = []
    const server = await fakeServer((request, body, response) => {
      if (request.url?.endsWith('/runs/create'))
        return json(response, 200, {
          run: {
            info: { run_id: 'abc', experiment_id: '1', artifact_uri: 'mlflow-artifacts:/1/abc/artifacts' },
          },
        })
      if (request.method === 'PUT')
        return setTimeout(
          () => json(response, 500, { error_code: 'INTERNAL_ERROR', message: 'disk full' }),
          200,
        )
      if (request.url?.endsWith('/runs/update')) statuses.push(JSON.parse(body).status)
      json(response, 200, {})
    })
    const step = await tracker({ trackingUri: server.url, maxRetries: 0 }).startStep({
      ...run,
      stepName: 's',
      pipelineState: { mlflow: 1, experimentId: '1' },
    })
    void step.logArtifact(new Uint8Array([1, 2, 3]), 'model/weights.bin')
    await expect(step.end('completed')).rejects.toMatchObject({
      code: 'MLFLOW_REQUEST_FAILED',
      message: expect.stringContaining(
        "uploading artifact 'model/weights.bin' of step 's' to run abc failed",
      ),
    })
    expect(server.requests.map((request) => request.path)).toContain(
      '/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/model/weights.bin',
    )
    expect(statuses).toEqual(['FAILED'])
  })
})

describe('mlflow client: credentials', () => {
  it('sends config credentials, else MLFLOW_TRACKING_* variables (user/password before token)', async () => {
    const server = await fakeServer((_request, _body, response) => json(response, 200, { experiments: [] }))
    const basic = (user: string, password: string) =>
      `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
    await tracker({ trackingUri: server.url, username: 'alice', password: 'alice-pw' }).verify()
    await tracker(
      { trackingUri: server.url },
      {
        env: {
          MLFLOW_TRACKING_USERNAME: 'bob',
          MLFLOW_TRACKING_PASSWORD: 'bob-pw',
          MLFLOW_TRACKING_TOKEN: 't',
        },
      },
    ).verify()
    await tracker({ trackingUri: server.url }, { env: { MLFLOW_TRACKING_TOKEN: 'env-token' } }).verify()
    await tracker(
      { trackingUri: server.url, token: 'config-token' },
      { env: { MLFLOW_TRACKING_USERNAME: 'bob', MLFLOW_TRACKING_PASSWORD: 'bob-pw' } },
    ).verify()
    await tracker({ trackingUri: server.url }).verify()
    expect(server.requests.map((request) => request.authorization)).toEqual([
      basic('alice', 'alice-pw'),
      basic('bob', 'bob-pw'),
      'Bearer env-token',
      'Bearer config-token',
      undefined,
    ])
  })

  it('keeps a canary password out of every error and log line, even when the server echoes it', async () => {
    const logger = recordingLogger()
    const echo = await fakeServer((request, _body, response) => {
      const decoded = Buffer.from(
        String(request.headers.authorization).replace('Basic ', ''),
        'base64',
      ).toString()
      json(response, 401, {
        error_code: 'UNAUTHENTICATED',
        message: `bad credentials ${decoded} ${request.headers.authorization}`,
      })
    })
    const flaky = await fakeServer((request, _body, response) =>
      json(response, 503, {
        error_code: 'UNAVAILABLE',
        message: `busy for ${request.headers.authorization}`,
      }),
    )
    const closed = `http://127.0.0.1:${await freePort()}`
    const errors: unknown[] = []
    for (const trackingUri of [echo.url, flaky.url, closed]) {
      const subject = tracker(
        { trackingUri, username: 'canary-user', password: CANARY, maxRetries: 1 },
        {},
        logger,
      )
      errors.push(await subject.verify().catch((e) => e))
      errors.push(await subject.startPipelineRun(run).catch((e) => e))
    }
    expect(errors.map((error) => (error as { code: string }).code)).toEqual([
      'MLFLOW_AUTH_FAILED',
      'MLFLOW_AUTH_FAILED',
      'MLFLOW_REQUEST_FAILED',
      'MLFLOW_REQUEST_FAILED',
      'MLFLOW_UNREACHABLE',
      'MLFLOW_UNREACHABLE',
    ])
    const base64 = Buffer.from(`canary-user:${CANARY}`).toString('base64')
    const seen = [...errors.map(everything), ...logger.lines].join('\n')
    expect(seen).toContain('********')
    expect(logger.lines.length).toBeGreaterThan(0)
    for (const secret of [CANARY, base64, 'canary-user']) expect(seen).not.toContain(secret)
  })
})

describe('mlflow client: TLS', () => {
  it('refuses a self-signed certificate with the fix, and accepts it with insecureTls', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'strata-mlflow-tls-'))
    cleanups.push(() => rm(dir, { recursive: true, force: true }))
    const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')]
    await promisify(execFile)('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ])
    const server = createHttpsServer(
      { key: await readFile(key), cert: await readFile(cert) },
      (_request, response) => json(response, 200, { experiments: [] }),
    )
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => closeServer(server))
    const trackingUri = `https://127.0.0.1:${(server.address() as { port: number }).port}`

    const error = await tracker({ trackingUri })
      .verify()
      .catch((e) => e)
    expect(error).toMatchObject({
      code: 'MLFLOW_TLS_ERROR',
      message: expect.stringContaining('DEPTH_ZERO_SELF_SIGNED_CERT'),
    })
    expect(error.message).toContain('NODE_EXTRA_CA_CERTS, or set insecureTls: true')

    const insecure = tracker({ trackingUri, insecureTls: true })
    await expect(insecure.verify()).resolves.toBeUndefined()
    await insecure.close()
  })
})
