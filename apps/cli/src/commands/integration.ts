import { join } from 'node:path'
import { StrataError } from '@strata/core/base'
import {
  type CommandContext,
  defineCommand,
  defineGroup,
  done,
  listOptions,
  printList,
  slicePage,
} from '../kit.js'
import { sortRows } from '../output/sort-rows.js'
import { INTEGRATION_RANGES } from './integration-ranges.js'

// Not `import ... from 'node:fs'`: building that ESM facade loads fs/promises (~3 ms), a tenth of the
// start-up budget of every command in this group; getBuiltinModule hands over the already-loaded module.
const { existsSync } = process.getBuiltinModule('node:fs')

const dryRunOption = {
  'dry-run': { type: 'boolean', help: 'Print the package manager command instead of running it' },
} as const
const namesArgument = {
  name: 'INTEGRATION',
  required: true,
  variadic: true,
  help: 'Integrations, e.g. s3 mlflow',
} as const

async function change(
  context: CommandContext<{ INTEGRATION: string[] }, { 'dry-run': boolean }>,
  action: 'install' | 'uninstall',
): Promise<number> {
  const sdk = await context.sdk()
  const names = context.args.INTEGRATION
  const integrations = names.map((name) => {
    const integration = sdk.findIntegration(name)
    if (!integration) {
      throw new StrataError(
        'UNKNOWN_INTEGRATION',
        `unknown integration '${name}' — available: ${sdk.INTEGRATIONS.map((known) => known.name).join(', ')}`,
      )
    }
    if (integration.builtin) {
      throw new StrataError(
        'BUILTIN_INTEGRATION',
        `the ${integration.name} integration ships with Strata and cannot be ${action}ed separately — nothing to do`,
      )
    }
    return integration
  })
  const root = sdk.findProjectRoot(context.cwd)
  if (!root || !existsSync(join(root, 'package.json'))) {
    throw new StrataError(
      'NOT_A_PROJECT',
      `integrations are installed into a project, and there is none here — run this in your project (a folder with package.json), or create one with 'npm create strata@latest'`,
    )
  }
  const { manager, root: lockRoot } = sdk.detectPackageManager(root)
  const workspaceRoot = lockRoot === root && existsSync(join(root, 'pnpm-workspace.yaml'))
  // Installs pin the releases this CLI works with; removing takes bare names.
  const packages = integrations.map(({ package: name }) => {
    const range = action === 'install' ? INTEGRATION_RANGES[name] : undefined
    if (action === 'install' && !range) {
      context.io.warn(
        `this CLI knows no compatible range of ${name}, so the newest release is installed — if Strata then refuses it, upgrade @strata/cli and @strata/sdk`,
      )
    }
    return range ? `${name}@${range}` : name
  })
  const command = sdk.packageManagerCommand(manager, action, packages, { workspaceRoot })
  if (context.options['dry-run']) {
    context.io.out(command.join(' '))
    return 0
  }
  context.io.note(`$ ${command.join(' ')}  (in ${root})`)
  // Not imported at the top: `integration list` would pay for child_process's ESM facade on every start.
  const { spawnSync } = process.getBuiltinModule('node:child_process')
  const result = spawnSync(command[0]!, command.slice(1), {
    cwd: root,
    stdio: 'inherit',
    shell: process.platform === 'win32',
  })
  if (result.error || result.status !== 0) {
    throw new StrataError(
      'INTEGRATION_INSTALL_FAILED',
      `'${command.join(' ')}' ${result.error ? `could not run (${result.error.message})` : `failed with exit code ${result.status}`} — run it yourself in ${root} to see why`,
    )
  }
  done(
    context,
    `${action === 'install' ? 'Installed' : 'Uninstalled'} ${integrations.map((integration) => integration.name).join(', ')}.`,
  )
  return 0
}

export default defineGroup({
  summary: 'List, install and uninstall first-party integrations (@strata/<name> packages)',
  commands: {
    list: defineCommand({
      summary: 'List integrations, their flavors, and whether this project has them',
      options: listOptions(['name', 'package']),
      async run(context) {
        const [sdk, { registry }] = await Promise.all([import('@strata/sdk/stack-state'), context.flavors()])
        const all = sdk.INTEGRATIONS.map((integration) => ({
          name: integration.name,
          package: integration.package,
          flavors: integration.flavors.map((flavor) => `${flavor.type}/${flavor.name}`),
          installed: sdk.installedIntegrationVersion(integration, registry) ?? null,
          description: integration.description,
        }))
        return printList(context, {
          rows: (page) =>
            slicePage(
              sortRows(all, context.options.sort, { name: (row) => row.name, package: (row) => row.package }),
              page,
            ),
          noun: 'integrations',
          columns: [
            { header: 'INTEGRATION', value: (row) => row.name },
            { header: 'PACKAGE', value: (row) => row.package },
            {
              header: 'INSTALLED',
              value: (row) =>
                row.installed
                  ? context.io.style(row.installed, 'green')
                  : `no — strata integration install ${row.name}`,
            },
            { header: 'FLAVORS', value: (row) => row.flavors.join(', ') },
          ],
        })
      },
    }),
    install: defineCommand({
      summary:
        'Add integrations to the project with its package manager (pnpm, npm, yarn or bun, from the lockfile)',
      args: [namesArgument],
      options: dryRunOption,
      examples: ['strata integration install s3 mlflow', 'strata integration install s3 --dry-run'],
      run: (context) => change(context, 'install'),
    }),
    uninstall: defineCommand({
      summary: 'Remove integrations from the project',
      args: [namesArgument],
      options: dryRunOption,
      run: (context) => change(context, 'uninstall'),
    }),
  },
})
