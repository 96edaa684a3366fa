import { execFile } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import {
  freePort,
  spawnServer,
  startTestServer,
  type TestServer,
  type TestServerResult,
} from '../test-server.js'
import { findTool } from './installed-tool.js'

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
  /** The Python of the MLflow install, for {@link runMlflowPython}. */
  python: string
  /** The admin's password, for servers started with basic auth. */
  adminPassword?: string
}

export interface StartMlflowOptions {
  /** Runs MLflow's basic-auth app (`--app-name basic-auth`) with an `admin` user. */
  basicAuth?: { adminPassword: string }
  /**
   * The virtualenv MLflow is installed in. @default `STRATA_MLFLOW_VENV`, else `.cache/mlflow-venv` above
   * the current folder, else the `mlflow` on PATH
   */
  venv?: string
}

/** `mlflow` and the Python beside it. */
function mlflowInstall(venv: string | undefined): { mlflow: string; python: string } {
  const mlflow = findTool(
    'mlflow',
    'mlflow-venv/bin/mlflow',
    venv === undefined ? undefined : join(venv, 'bin/mlflow'),
  )
  const python = join(dirname(mlflow), 'python')
  try {
    accessSync(python, constants.X_OK)
    return { mlflow, python }
  } catch {
    return { mlflow, python: 'python3' }
  }
}

/**
 * Starts `mlflow server` on 127.0.0.1 for a test file: SQLite backend store and proxied artifacts in a
 * temporary directory, removed by `stop()`. Skips (or fails, with `CI=true`) when MLflow is not installed.
 */
export async function startMlflowServer(
  options: StartMlflowOptions = {},
): Promise<TestServerResult<MlflowTestServer>> {
  const venv = options.venv ?? process.env['STRATA_MLFLOW_VENV']
  return startTestServer(
    options.basicAuth ? 'mlflow server --app-name basic-auth' : 'mlflow server',
    "install it with: bash .ci/setup/mlflow.sh in Strata's repository (MLflow into .cache/mlflow-venv), or set STRATA_MLFLOW_VENV to a virtualenv with mlflow",
    async () => {
      const { mlflow, python } = mlflowInstall(venv)
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
          command: mlflow,
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
        python,
        ...(options.basicAuth ? { adminPassword: options.basicAuth.adminPassword } : {}),
        stop: async () => {
          await server.stop()
          await rm(dir, { recursive: true, force: true })
        },
      }
    },
  )
}

/** Calls MLflow's REST API directly (to read back what a component wrote, or to set a scene up). */
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

/** Runs a Python snippet with the install's `mlflow` client pointed at the server; parses what it prints last. */
export async function runMlflowPython(server: MlflowTestServer, code: string): Promise<unknown> {
  const { stdout } = await promisify(execFile)(server.python, ['-c', code], {
    env: { ...process.env, ...SERVER_ENV, MLFLOW_TRACKING_URI: server.url },
    timeout: 60_000,
  })
  const printed = stdout.trim()
  return JSON.parse(printed.slice(printed.lastIndexOf('\n') + 1))
}
