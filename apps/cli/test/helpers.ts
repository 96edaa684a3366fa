import { spawn } from 'node:child_process'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { SqliteStore } from '@strata/store'

const here = dirname(fileURLToPath(import.meta.url))
const repo = resolve(here, '../../..')
export const BIN = join(repo, 'apps/cli/bin/strata.mjs')

if (!existsSync(join(repo, 'apps/cli/dist/main.js'))) {
  throw new Error('the CLI end-to-end tests run the built binary — run `pnpm build` first (`pnpm test` does)')
}

export interface Result {
  code: number
  stdout: string
  stderr: string
}

export interface Sandbox {
  /** A fresh STRATA_CONFIG_DIR. */
  configDir: string
  /**
   * A user project depending on the demo plugin (an artifact_store flavor with a secret field) and on the
   * workspace plugins asked for.
   */
  project: string
  /**
   * Runs the built `strata` with `args` in `cwd` (default: the project); `through` is a command that runs
   * it, e.g. `['nsenter', '--mount=/proc/PID/ns/mnt', '--']` to run it in another mount namespace.
   */
  strata(
    args: string[],
    options?: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv; through?: string[] },
  ): Promise<Result>
  /** A logical dump of the store (every row of every table). */
  dump(): Record<string, unknown[]>
  cleanup(): void
}

/** A custom orchestrator flavor module, registered with `strata orchestrator flavor register`. */
const ORCHESTRATOR_MODULE = `
import { defineFlavor, definePlugin } from '@strata/core'
import { z } from 'zod'
export default definePlugin({
  name: 'test-orchestrators',
  flavors: [
    defineFlavor({
      apiVersion: 1,
      type: 'orchestrator',
      name: 'inline',
      description: 'Runs steps in this process (test)',
      isLocal: true,
      config: z.object({
        queue: z.string().min(1).describe('Which queue to take steps from'),
        concurrency: z.number().int().positive().default(4).describe('Steps at once'),
      }),
      create: async () => ({ apiVersion: 1, async run() { return { steps: {} } } }),
    }),
  ],
})
`

/** A custom orchestrator flavor that runs steps elsewhere (`isRemote`), as Kubernetes or Kubeflow would. */
const REMOTE_ORCHESTRATOR_MODULE = `
import { defineFlavor } from '@strata/core'
import { z } from 'zod'
export const cluster = defineFlavor({
  apiVersion: 1,
  type: 'orchestrator',
  name: 'cluster',
  description: 'Runs each step as a pod on a cluster (test)',
  isRemote: true,
  config: z.object({ namespace: z.string().default('strata').describe('Where the pods run') }),
  create: async () => ({ apiVersion: 1, async run() { return { steps: {} } } }),
})
`

export function link(target: string, path: string): void {
  mkdirSync(dirname(path), { recursive: true })
  symlinkSync(target, path)
}

export interface SandboxOptions {
  /**
   * First-party plugins of this workspace the project depends on, e.g. `['s3']`: linked into its
   * node_modules and declared in its package.json, as after `pnpm add @strata/s3` (built output: run
   * `pnpm build` first).
   */
  plugins?: string[]
}

export function createSandbox(options: SandboxOptions = {}): Sandbox {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'strata-cli-')))
  const configDir = join(root, 'config')
  const project = join(root, 'project')
  mkdirSync(project)
  const dependencies: Record<string, string> = { '@fixture/strata-demo': '1.2.3' }
  for (const plugin of options.plugins ?? []) {
    const directory = join(repo, 'plugins', plugin)
    const manifest = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) as {
      name: string
      version: string
    }
    if (!existsSync(join(directory, 'dist/index.js'))) {
      throw new Error(`${manifest.name} is not built — run \`pnpm build\` first (\`pnpm test\` does)`)
    }
    // The workspace package itself (its own node_modules hold its peer core, zod and vendor SDKs).
    link(directory, join(project, 'node_modules', manifest.name))
    dependencies[manifest.name] = manifest.version
  }
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'my-ml-project', private: true, type: 'module', dependencies }),
  )
  // As after `pnpm add`: the plugin in .pnpm with its peer core resolved; core and zod for the custom flavor.
  const demoProject = join(repo, 'fixtures/demo-project/node_modules')
  link(
    realpathSync(join(demoProject, '@fixture/strata-demo')),
    join(project, 'node_modules/@fixture/strata-demo'),
  )
  link(join(repo, 'packages/core'), join(project, 'node_modules/@strata/core'))
  link(realpathSync(join(demoProject, 'zod')), join(project, 'node_modules/zod'))
  writeFileSync(join(project, 'orchestrator.mjs'), ORCHESTRATOR_MODULE)
  writeFileSync(join(project, 'remote-orchestrator.mjs'), REMOTE_ORCHESTRATOR_MODULE)

  const strata: Sandbox['strata'] = (args, options = {}) =>
    new Promise((resolvePromise, reject) => {
      const [command, ...rest] = [...(options.through ?? []), process.execPath, BIN, ...args]
      const child = spawn(command!, rest, {
        cwd: options.cwd ?? project,
        env: {
          ...process.env,
          STRATA_CONFIG_DIR: configDir,
          NO_COLOR: '1',
          STRATA_DEBUG: '',
          ...options.env,
        },
      })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (chunk) => (stdout += chunk))
      child.stderr.on('data', (chunk) => (stderr += chunk))
      child.on('error', reject)
      child.on('close', (code) => resolvePromise({ code: code ?? -1, stdout, stderr }))
      // A command that exits without reading stdin closes the pipe first: EPIPE here is not a failure.
      child.stdin.on('error', () => {})
      child.stdin.end(options.input ?? '')
    })

  return {
    configDir,
    project,
    strata,
    dump() {
      const store = SqliteStore.open({ configDir })
      try {
        return store.dump()
      } finally {
        store.close()
      }
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  }
}

/**
 * Installs a package into the sandbox project as a package manager would (files under node_modules, the
 * dependency declared in package.json), e.g. a plugin whose manifest declares an interface version.
 */
export function installPackage(
  sandbox: Sandbox,
  manifest: { name: string; version: string } & Record<string, unknown>,
  files: Record<string, string> = {},
): void {
  const directory = join(sandbox.project, 'node_modules', manifest.name)
  mkdirSync(directory, { recursive: true })
  writeFileSync(join(directory, 'package.json'), JSON.stringify(manifest, null, 2))
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(directory, path)), { recursive: true })
    writeFileSync(join(directory, path), text)
  }
  const projectJson = join(sandbox.project, 'package.json')
  const project = JSON.parse(readFileSync(projectJson, 'utf8')) as { dependencies: Record<string, string> }
  project.dependencies[manifest.name] = manifest.version
  writeFileSync(projectJson, JSON.stringify(project, null, 2))
}

/** The raw bytes of the store's files (database and WAL), to prove what is and is not in them. */
export function storeBytes(configDir: string): Buffer {
  return Buffer.concat(
    readdirSync(configDir)
      .filter((name) => name.startsWith('strata.db'))
      .map((name) => readFileSync(join(configDir, name))),
  )
}

/** Runs and expects success, with a helpful failure message. */
export async function ok(
  sandbox: Sandbox,
  args: string[],
  options?: Parameters<Sandbox['strata']>[1],
): Promise<Result> {
  const result = await sandbox.strata(args, options)
  if (result.code !== 0) {
    throw new Error(
      `strata ${args.join(' ')} exited ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`,
    )
  }
  return result
}

/** Registers the walk-through's components and stack: an S3-flavored (demo) store with a secret reference. */
export async function registerDemoStack(sandbox: Sandbox, secretValue = 's3cr3t-value'): Promise<void> {
  await ok(sandbox, ['init'])
  await ok(sandbox, ['orchestrator', 'flavor', 'register', './orchestrator.mjs'])
  await ok(sandbox, ['secret', 'create', 'demo_creds', `--token=${secretValue}`])
  await ok(sandbox, [
    'artifact-store',
    'register',
    'demo-store',
    '--flavor',
    'demo',
    '--namespace=n1',
    '--token={{demo_creds.token}}',
  ])
  await ok(sandbox, [
    'orchestrator',
    'register',
    'inline',
    '--flavor=inline',
    '--queue',
    'q1',
    '--concurrency=2',
  ])
  await ok(sandbox, ['stack', 'register', 'demo', '-o', 'inline', '-a', 'demo-store', '--set'])
}

/** Installs a first-party plugin of this workspace into the sandbox's project, as `pnpm add @strata/<name>` would. */
export function addWorkspacePlugin(sandbox: Sandbox, name: string): void {
  const manifestPath = join(sandbox.project, 'package.json')
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'))
  manifest.dependencies[`@strata/${name}`] = 'workspace:*'
  writeFileSync(manifestPath, JSON.stringify(manifest))
  link(join(repo, 'plugins', name), join(sandbox.project, 'node_modules/@strata', name))
}
