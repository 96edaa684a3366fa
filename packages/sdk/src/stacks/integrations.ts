import { dirname, join, resolve } from 'node:path'
import type { ComponentType, FlavorCatalog } from '@strata/core/base'

// Not `import ... from 'node:fs'`: building that ESM facade loads fs/promises (~3 ms), a tenth of the
// start-up budget of the CLI's read-only commands; getBuiltinModule hands over the already-loaded module.
const { existsSync, readFileSync } = process.getBuiltinModule('node:fs')

/** A first-party integration: one `@strata/<name>` package and the flavors it provides. */
export interface Integration {
  name: string
  package: string
  description: string
  flavors: ReadonlyArray<{ type: ComponentType; name: string }>
  /** Ships with Strata (cannot be installed or uninstalled separately). */
  builtin?: boolean
}

/** Strata's first-party integrations, listed even when not installed. */
export const INTEGRATIONS: readonly Integration[] = [
  {
    name: 'local',
    package: '@strata/local',
    description: 'Run pipelines and keep artifacts on this machine (the default stack)',
    flavors: [
      { type: 'orchestrator', name: 'local' },
      { type: 'artifact_store', name: 'local' },
    ],
    builtin: true,
  },
  {
    name: 's3',
    package: '@strata/s3',
    description: 'Amazon S3 and S3-compatible object stores',
    flavors: [{ type: 'artifact_store', name: 's3' }],
  },
  {
    name: 'gcs',
    package: '@strata/gcs',
    description: 'Google Cloud Storage',
    flavors: [{ type: 'artifact_store', name: 'gcp' }],
  },
  {
    name: 'kubernetes',
    package: '@strata/kubernetes',
    description: 'Run pipelines on Kubernetes: one Job per step, no image to build',
    flavors: [{ type: 'orchestrator', name: 'kubernetes' }],
  },
  {
    name: 'kubeflow',
    package: '@strata/kubeflow',
    description: 'Run pipelines on Kubeflow Pipelines (KFP v2)',
    flavors: [{ type: 'orchestrator', name: 'kubeflow' }],
  },
  {
    name: 'mlflow',
    package: '@strata/mlflow',
    description: 'MLflow experiment tracking',
    flavors: [{ type: 'experiment_tracker', name: 'mlflow' }],
  },
]

/** The integration with that name, or `undefined`. */
export function findIntegration(name: string): Integration | undefined {
  return INTEGRATIONS.find((integration) => integration.name === name || integration.package === name)
}

/** The first-party integration that provides a flavor, if any. */
export function integrationOfFlavor(type: ComponentType, name: string): Integration | undefined {
  return INTEGRATIONS.find((integration) =>
    integration.flavors.some((flavor) => flavor.type === type && flavor.name === name),
  )
}

/** The installed version of an integration, seen through discovery (`undefined` when not installed). */
export function installedIntegrationVersion(
  integration: Integration,
  registry: FlavorCatalog,
): string | undefined {
  return registry.list().find((entry) => entry.source.package === integration.package)?.source.version
}

export type PackageManager = 'pnpm' | 'npm' | 'yarn' | 'bun'

const LOCKFILES: ReadonlyArray<[string, PackageManager]> = [
  ['pnpm-lock.yaml', 'pnpm'],
  ['package-lock.json', 'npm'],
  ['npm-shrinkwrap.json', 'npm'],
  ['yarn.lock', 'yarn'],
  ['bun.lock', 'bun'],
  ['bun.lockb', 'bun'],
]

/**
 * The project's package manager: from the nearest lockfile (the project root or a workspace root above
 * it), else the `packageManager` field of the project's package.json, else npm.
 */
export function detectPackageManager(projectRoot: string): { manager: PackageManager; root: string } {
  for (let directory = resolve(projectRoot); ; directory = dirname(directory)) {
    for (const [file, manager] of LOCKFILES) {
      if (existsSync(join(directory, file))) return { manager, root: directory }
    }
    if (dirname(directory) === directory) break
  }
  try {
    const pkg = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as {
      packageManager?: string
    }
    const name = pkg.packageManager?.split('@')[0]
    if (name === 'pnpm' || name === 'yarn' || name === 'bun' || name === 'npm')
      return { manager: name, root: projectRoot }
  } catch {}
  return { manager: 'npm', root: projectRoot }
}

/**
 * The command that adds or removes packages in the project, e.g. `['pnpm', 'add', '@strata/s3']`. Run it
 * in the project root. (pnpm at a workspace root needs `-w`.)
 */
export function packageManagerCommand(
  manager: PackageManager,
  action: 'install' | 'uninstall',
  packages: readonly string[],
  options: { workspaceRoot?: boolean } = {},
): string[] {
  const verbs: Record<PackageManager, [string, string]> = {
    pnpm: ['add', 'remove'],
    npm: ['install', 'uninstall'],
    yarn: ['add', 'remove'],
    bun: ['add', 'remove'],
  }
  const verb = verbs[manager][action === 'install' ? 0 : 1]
  const workspace = options.workspaceRoot
    ? manager === 'pnpm'
      ? ['-w']
      : manager === 'yarn'
        ? ['-W']
        : []
    : []
  return [manager, verb, ...workspace, ...packages]
}
