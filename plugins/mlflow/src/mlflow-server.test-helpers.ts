import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { type FlavorContext, type Logger, parseFlavorConfig } from '@strata/core'
import { freePort, spawnServer, startTestServer, type TestServer } from '@strata/testing'
import type { MlflowExperimentTrackerConfig } from './mlflow-experiment-tracker-flavor.js'
import { mlflowExperimentTracker } from './mlflow-experiment-tracker-flavor.js'

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..')
/** `STRATA_MLFLOW_VENV` points the tests at another MLflow install (e.g. a 2.x one). */
export const MLFLOW_VENV = process.env['STRATA_MLFLOW_VENV'] ?? join(repoRoot, '.cache/mlflow-venv')
const mlflowBin = join(MLFLOW_VENV, 'bin/mlflow')
const pythonBin = join(MLFLOW_VENV, 'bin/python')

/** Keeps MLflow's own settings of the developer's shell (and telemetry) away from the test servers. */
const SERVER_ENV = {
  MLFLOW_TRACKING_URI: undefined,
  MLFLOW_TRACKING_USERNAME: undefined,
  MLFLOW_TRACKING_PASSWORD: undefined,
  MLFLOW_TRACKING_TOKEN: undefined,
  MLFLOW_DISABLE_TELEMETRY: 'true',
  DO_NOT_TRACK: 'true',
}

export interface MlflowTestServer extends TestServer {
  /** The admin's password, for servers started with basic auth. */
  adminPassword?: string
}

export interface StartMlflowOptions {
  /** Runs MLflow's basic-auth app (`--app-name basic-auth`) with an `admin` user. */
  basicAuth?: { adminPassword: string }
}

/**
 * Starts `mlflow server` from `.cache/mlflow-venv` on 127.0.0.1: SQLite backend store and proxied
 * artifacts in a temporary directory. Skips (or fails, with `CI=true`) when the venv is missing.
 */
export async function startMlflowServer(
  options: StartMlflowOptions = {},
): Promise<{ server?: MlflowTestServer; skip?: string }> {
  return startTestServer(
    options.basicAuth ? 'mlflow server --app-name basic-auth' : 'mlflow server',
    `it needs MLflow in ${MLFLOW_VENV}: install it with 'bash .ci/setup/mlflow.sh'`,
    async () => {
      if (!existsSync(mlflowBin)) throw new Error(`${mlflowBin} not found`)
      const dir = await mkdtemp(join(tmpdir(), 'strata-mlflow-'))
      const env: Record<string, string | undefined> = { ...SERVER_ENV }
      const args = [
        'server',
        '--host',
        '127.0.0.1',
        '--workers',
        '1',
        '--backend-store-uri',
        `sqlite:///${join(dir, 'mlflow.db')}`,
        '--serve-artifacts',
        '--artifacts-destination',
        join(dir, 'artifacts'),
      ]
      if (options.basicAuth) {
        const config = join(dir, 'basic_auth.ini')
        await writeFile(
          config,
          [
            '[mlflow]',
            'default_permission = READ',
            `database_uri = sqlite:///${join(dir, 'basic_auth.db')}`,
            'admin_username = admin',
            `admin_password = ${options.basicAuth.adminPassword}`,
            'authorization_function = mlflow.server.auth:authenticate_request_basic_auth',
            '',
          ].join('\n'),
        )
        args.push('--app-name', 'basic-auth')
        env['MLFLOW_AUTH_CONFIG_PATH'] = config
        env['MLFLOW_FLASK_SERVER_SECRET_KEY'] = 'strata-test-only'
      }
      const port = await freePort()
      let server: TestServer
      try {
        server = await spawnServer({
          command: mlflowBin,
          args: [...args, '--port', String(port)],
          port,
          env,
          cwd: dir,
          readyPath: '/health',
          timeoutMs: 90_000,
        })
      } catch (error) {
        await rm(dir, { recursive: true, force: true })
        throw error
      }
      return {
        ...server,
        ...(options.basicAuth ? { adminPassword: options.basicAuth.adminPassword } : {}),
        stop: async () => {
          await server.stop()
          await rm(dir, { recursive: true, force: true })
        },
      }
    },
  )
}

/** A logger that keeps every line, to assert on (and to prove secrets never reach it). */
export function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = []
  const record =
    (level: string) =>
    (message: string, fields?: Record<string, unknown>): void => {
      lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`)
    }
  return { lines, debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') }
}

export function testContext(logger: Logger = recordingLogger()): FlavorContext {
  return { componentName: 'mlflow-test', componentId: 'c-1', dataDir: tmpdir(), logger }
}

/** The config a user would register, validated and defaulted as Strata does. */
export function trackerConfig(raw: Record<string, unknown>): MlflowExperimentTrackerConfig {
  return parseFlavorConfig(mlflowExperimentTracker, raw) as MlflowExperimentTrackerConfig
}

/** Calls MLflow's REST API directly (to read back what the tracker wrote, or to set a scene up). */
export async function mlflowApi<T = Record<string, unknown>>(
  server: TestServer,
  endpoint: string,
  init: { query?: Record<string, string>; body?: unknown; auth?: string } = {},
): Promise<T> {
  const query = init.query ? `?${new URLSearchParams(init.query)}` : ''
  const response = await fetch(`${server.url}/api/2.0/mlflow/${endpoint}${query}`, {
    method: init.body === undefined ? 'GET' : 'POST',
    headers: {
      'content-type': 'application/json',
      ...(init.auth ? { authorization: `Basic ${Buffer.from(init.auth).toString('base64')}` } : {}),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    signal: AbortSignal.timeout(10_000),
  })
  const text = await response.text()
  if (!response.ok) throw new Error(`${endpoint}: HTTP ${response.status} ${text}`)
  return JSON.parse(text) as T
}

/** Downloads an artifact through the server's proxy. */
export async function downloadArtifact(server: TestServer, path: string): Promise<Buffer> {
  const response = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${path}`, {
    signal: AbortSignal.timeout(10_000),
  })
  if (!response.ok) throw new Error(`artifact ${path}: HTTP ${response.status}`)
  return Buffer.from(await response.arrayBuffer())
}

/** Runs a Python snippet with the venv's `mlflow` client pointed at the server; parses what it prints. */
export async function runMlflowPython(server: TestServer, code: string): Promise<unknown> {
  const { stdout } = await promisify(execFile)(pythonBin, ['-c', code], {
    env: { ...process.env, ...SERVER_ENV, MLFLOW_TRACKING_URI: server.url },
    timeout: 60_000,
  })
  return JSON.parse(stdout.trim().split('\n').at(-1)!)
}
