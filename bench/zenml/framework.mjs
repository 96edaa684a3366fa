// ZenML as a benchmark framework: a pinned release in a virtual environment under bench/.venv, an isolated
// global config and SQLite store in a temp dir (no server), and a repository (`zenml init`) holding the
// workloads of bench/zenml, as a ZenML user's project would.
import { execFileSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { benchDir, fail, measure } from '../lib.mjs'

/** The ZenML release the comparison runs against; `local` brings the embedded SQL store. */
export const ZENML_VERSION = '0.98.0'
const venv = join(benchDir, '.venv')
const python = join(venv, 'bin', 'python')
const zenml = join(venv, 'bin', 'zenml')

function installedVersion() {
  if (!existsSync(python)) return undefined
  try {
    return execFileSync(python, ['-c', 'import importlib.metadata as m; print(m.version("zenml"))'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim()
  } catch {
    return undefined
  }
}

/**
 * Creates bench/.venv with the pinned ZenML unless it is already there; returns the versions and how long
 * the install took (`installMs`, undefined when it was already there).
 */
export function ensureZenml(log) {
  let installMs
  if (installedVersion() !== ZENML_VERSION) {
    const begin = Date.now()
    const system = process.env.PYTHON ?? 'python3'
    log(`installing zenml[local]==${ZENML_VERSION} into ${venv} …`)
    try {
      execFileSync(system, ['-m', 'venv', '--clear', venv], { stdio: ['ignore', 'ignore', 'inherit'] })
      execFileSync(
        python,
        ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', `zenml[local]==${ZENML_VERSION}`],
        { stdio: ['ignore', 'ignore', 'inherit'] },
      )
    } catch (error) {
      fail(
        `could not install ZenML ${ZENML_VERSION} with ${system} (${error.message}) — bench:compare needs Python 3.10–3.14 with venv and pip, and access to PyPI; set PYTHON to another interpreter`,
      )
    }
    installMs = Date.now() - begin
  }
  const pythonVersion = execFileSync(python, ['-c', 'import platform; print(platform.python_version())'], {
    encoding: 'utf8',
  }).trim()
  return { zenml: installedVersion(), python: pythonVersion, installMs }
}

/** SQLite's numbers for PRAGMA synchronous. */
const SYNCHRONOUS = { 0: 'OFF', 1: 'NORMAL', 2: 'FULL', 3: 'EXTRA' }

export function zenmlFramework(workDir) {
  const project = join(workDir, 'zenml-project')
  mkdirSync(project, { recursive: true })
  for (const file of ['pipelines.py', 'driver.py'])
    copyFileSync(join(benchDir, 'zenml', file), join(project, file))
  const baseEnv = {
    ...process.env,
    ZENML_ANALYTICS_OPT_IN: 'false',
    ZENML_LOGGING_VERBOSITY: 'WARN',
    ZENML_ENABLE_RICH_TRACEBACK: 'false',
    NO_COLOR: '1',
    COLUMNS: '160',
  }
  const configPath = join(workDir, 'zenml-config')
  const env = { ...baseEnv, ZENML_CONFIG_PATH: configPath }
  // ZenML stores every step's and every run's logs in the artifact store by default; Strata stores a step's
  // log only when the step printed something (the benchmark's steps print nothing). Runs with this
  // environment turn ZenML's log storage off, so both rows can be shown.
  const logsOff = { ZENML_DISABLE_STEP_LOGS_STORAGE: 'true', ZENML_DISABLE_PIPELINE_LOGS_STORAGE: 'true' }
  const cli = (args, environment = env, cwd = project) => measure(zenml, args, { env: environment, cwd })
  // BENCH_SPAWNED_AT: the driver's start-up row counts from here, interpreter start included.
  const driver = (args, environment = env) =>
    measure(python, [join(project, 'driver.py'), ...args.map(String)], {
      env: { ...environment, BENCH_SPAWNED_AT: String(Date.now()) },
      cwd: project,
    })
  // Untimed: the repository and the store (ZenML creates and migrates it on first use).
  cli(['init'])
  cli(['stack', 'list'])
  return {
    id: 'zenml',
    name: 'ZenML',
    cli,
    driver,
    /** The interpreter's bare start (`python -c pass`): the limit of every ZenML process row. */
    interpreter: () => measure(python, ['-c', 'pass'], { env, cwd: project }),
    /** A workload with ZenML's step and pipeline log storage turned off. */
    driverWithoutLogs: (args) => driver(args, { ...env, ...logsOff }),
    /**
     * The SQLite settings ZenML's store runs with, read from its file by a new connection: ZenML sets only
     * `foreign_keys` on its connections, so `synchronous` is SQLite's default for them too.
     */
    durability() {
      const db = join(configPath, 'local_stores', 'default_zen_store', 'zenml.db')
      const read = execFileSync(
        python,
        [
          '-c',
          'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); print(c.execute("PRAGMA journal_mode").fetchone()[0], c.execute("PRAGMA synchronous").fetchone()[0])',
          db,
        ],
        { encoding: 'utf8' },
      )
      const [journal, synchronous] = read.trim().split(' ')
      return { journalMode: journal, synchronous: SYNCHRONOUS[synchronous] ?? synchronous }
    },
    /** ZenML's parallel path: a dynamic pipeline whose `submit`ted steps run on as many threads as steps. */
    fanOut: (width, ms) =>
      driver(['fanout-dynamic', width, ms], { ...env, ZENML_DYNAMIC_PIPELINE_WORKER_COUNT: String(width) }),
    register(round, components, stacks) {
      const fresh = { ...baseEnv, ZENML_CONFIG_PATH: join(workDir, `zenml-register-${round}`) }
      const cwd = join(workDir, `zenml-register-cwd-${round}`)
      mkdirSync(cwd, { recursive: true })
      cli(['stack', 'list'], fresh, cwd)
      const { ms } = measure(python, [join(project, 'driver.py'), 'register', components, stacks], {
        env: fresh,
        cwd,
      })
      const listStacks = cli(['stack', 'list', '--size', '100'], fresh, cwd).wallMs
      const listComponents = cli(['orchestrator', 'list', '--size', '100'], fresh, cwd).wallMs
      const listed = cli(['stack', 'list', '--size', '100', '--output', 'json'], fresh, cwd)
      if (listed.pagination?.total !== stacks + 1) {
        fail(
          `ZenML listed ${listed.pagination?.total} stacks after registering ${stacks} (expected ${stacks + 1})`,
        )
      }
      return { ms, listStacks, listComponents }
    },
  }
}
