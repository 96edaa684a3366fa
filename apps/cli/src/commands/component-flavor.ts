import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { type ComponentType, StrataError } from '@strata/core/base'
import {
  componentCliName,
  defineCommand,
  defineGroup,
  done,
  type GroupSpec,
  label,
  listOptions,
  outputOption,
  printData,
  printFields,
  printList,
  printTable,
  slicePage,
  withArticle,
} from '../kit.js'
import { sortRows } from '../output/sort-rows.js'

// Not `import ... from 'node:fs'`: building that ESM facade loads fs/promises (~3 ms), a tenth of the
// start-up budget of every command in this group; getBuiltinModule hands over the already-loaded module.
const { existsSync } = process.getBuiltinModule('node:fs')

/** One row of `flavor list`: installed, custom, or first-party and not installed (`version: null`). */
interface FlavorRow {
  type: ComponentType
  name: string
  package: string
  version: string | null
  location: 'local' | 'remote' | null
  status: string
  description: string
}

function cell(value: unknown): string {
  return value === undefined ? '-' : typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value)
}

/** `strata <type> flavor list|describe|register|delete`. Listing and describing never import plugin code. */
export function flavorGroup(type: ComponentType): GroupSpec {
  const cli = componentCliName(type)
  const noun = label(type)
  return defineGroup({
    summary: `List, describe and register ${noun} flavors`,
    commands: {
      list: defineCommand({
        summary: `List the ${noun} flavors this project can use, and first-party ones it could install`,
        options: listOptions(['name', 'package', 'status']),
        async run(context) {
          const [sdk, { registry }] = await Promise.all([
            import('@strata/sdk/stack-state'),
            context.flavors(),
          ])
          const all: FlavorRow[] = registry.list(type).map((entry) => {
            const custom = entry.source.kind === 'custom'
            return {
              type,
              name: entry.name,
              package: entry.source.package,
              version: custom ? null : entry.source.version,
              location: entry.isRemote ? 'remote' : entry.isLocal ? 'local' : null,
              status: custom ? 'custom' : 'installed',
              description: entry.description,
            }
          })
          for (const integration of sdk.INTEGRATIONS) {
            for (const flavor of integration.flavors) {
              if (flavor.type !== type || registry.find(type, flavor.name)) continue
              all.push({
                type,
                name: flavor.name,
                package: integration.package,
                version: null,
                location: null,
                status: `not installed — strata integration install ${integration.name}`,
                description: integration.description,
              })
            }
          }
          return printList(context, {
            rows: (page) =>
              slicePage(
                sortRows(all, context.options.sort, {
                  name: (row) => row.name,
                  package: (row) => row.package,
                  status: (row) => row.status,
                }),
                page,
              ),
            noun: `${noun} flavors`,
            columns: [
              { header: 'FLAVOR', value: (row) => row.name },
              {
                header: 'PACKAGE',
                value: (row) => (row.version ? `${row.package}@${row.version}` : row.package),
              },
              { header: 'RUNS', value: (row) => row.location ?? '-', shrink: false },
              { header: 'STATUS', value: (row) => row.status },
              { header: 'DESCRIPTION', value: (row) => row.description },
            ],
          })
        },
      }),
      describe: defineCommand({
        summary: `Show ${withArticle(noun)} flavor's configuration fields`,
        args: [{ name: 'FLAVOR', required: true, help: 'The flavor' }],
        options: outputOption,
        async run(context) {
          const { output } = context.options
          const name = context.args.FLAVOR
          const [sdk, { registry }, { describeJsonSchemaFields }] = await Promise.all([
            import('@strata/sdk/stack-state'),
            context.flavors(),
            import('@strata/core/base'),
          ])
          const integration = sdk.integrationOfFlavor(type, name)
          if (!registry.find(type, name) && !registry.refusal?.(type, name) && integration) {
            throw new StrataError(
              'UNKNOWN_FLAVOR',
              `${type} flavor '${name}' comes with the ${integration.name} integration, which is not installed — install it with 'strata integration install ${integration.name}'`,
            )
          }
          const entry = registry.get(type, name)
          const fields = describeJsonSchemaFields(entry.configSchema)
          if (output !== 'table') {
            await printData(context.io, output, {
              type,
              name,
              description: entry.description,
              package: entry.source.package,
              version: entry.source.version,
              isLocal: entry.isLocal,
              isRemote: entry.isRemote,
              fields,
            })
            return 0
          }
          context.io.out(context.io.style(`${noun} flavor '${name}'`, 'bold') + ` — ${entry.description}`)
          printFields(
            context.io,
            [
              [
                'PACKAGE',
                entry.source.kind === 'custom'
                  ? `${entry.source.package} (custom)`
                  : `${entry.source.package}@${entry.source.version}`,
              ],
              ['RUNS', entry.isRemote ? 'remotely' : entry.isLocal ? 'on this machine' : '-'],
            ],
            '  ',
          )
          context.io.out()
          if (fields.length === 0) {
            context.io.out('No configuration fields.')
            return 0
          }
          printTable(
            context.io,
            [
              { header: 'FIELD', value: (field) => field.name },
              { header: 'TYPE', value: (field) => field.type },
              { header: 'DEFAULT', value: (field) => cell(field.default) },
              { header: 'REQUIRED', value: (field) => (field.required ? 'yes' : 'no'), shrink: false },
              { header: 'SECRET', value: (field) => (field.secret ? 'yes' : 'no'), shrink: false },
              { header: 'DESCRIPTION', value: (field) => field.description ?? '' },
            ],
            fields,
          )
          context.io.out()
          context.io.out(
            `Set fields with 'strata ${cli} register NAME --flavor ${name} --FIELD=VALUE'; secret fields take {{secret.key}} references.`,
          )
          return 0
        },
      }),
      register: defineCommand({
        summary: `Register custom ${noun} flavors from a module of your own`,
        description:
          'The module (a .js/.mjs file, or .ts on Node 22.18+) exports a plugin (definePlugin) or flavors\n(defineFlavor). Every flavor of this type in it is registered, by its absolute path.',
        args: [{ name: 'SOURCE', required: true, help: 'Path of the module' }],
        examples: [`strata ${cli} flavor register ./src/flavors/my-flavor.js`],
        async run(context) {
          const path = resolve(context.cwd, context.args.SOURCE)
          if (!existsSync(path)) {
            throw new StrataError(
              'FLAVOR_SOURCE_NOT_FOUND',
              `no file at ${path} — give the path of a module that exports the flavor`,
            )
          }
          const [workspace, { registry }, core] = await Promise.all([
            context.workspace(),
            context.flavors(),
            import('@strata/core'),
          ])
          let module: Record<string, unknown>
          try {
            module = (await import(pathToFileURL(path).href)) as Record<string, unknown>
          } catch (error) {
            throw new StrataError(
              'PLUGIN_LOAD_FAILED',
              `cannot import ${path}: ${core.errorMessage(error)} — fix the module (it must run on its own, with its imports installed)`,
            )
          }
          const found = new Map<string, Parameters<typeof core.flavorEntryFromDefinition>[0]>()
          for (const value of [module.default, ...Object.values(module)]) {
            const candidates = Array.isArray((value as { flavors?: unknown })?.flavors)
              ? (value as { flavors: unknown[] }).flavors
              : [value]
            for (const candidate of candidates) {
              const flavor = candidate as { type?: unknown; name?: unknown }
              if (
                flavor &&
                typeof flavor === 'object' &&
                flavor.type === type &&
                typeof flavor.name === 'string'
              ) {
                found.set(flavor.name, candidate as Parameters<typeof core.flavorEntryFromDefinition>[0])
              }
            }
          }
          if (found.size === 0) {
            throw new StrataError(
              'INVALID_PLUGIN',
              `${path} exports no ${type} flavor — export default definePlugin({ name, flavors: [...] }) or export the defineFlavor({ type: '${type}', ... }) object`,
            )
          }
          const source = { package: path, version: 'custom', kind: 'custom' as const }
          const entries = [...found.values()].map((flavor) => core.flavorEntryFromDefinition(flavor, source))
          for (const entry of entries) {
            const existing = registry.find(type, entry.name)
            if (existing && existing.source.kind !== 'custom') {
              throw new StrataError(
                'FLAVOR_CONFLICT',
                `${type} flavor '${entry.name}' is already provided by ${existing.source.package} — give your flavor another name`,
              )
            }
          }
          await workspace.store.transaction(async (tx) => {
            for (const entry of entries) {
              await tx.flavors.register({
                type,
                name: entry.name,
                apiVersion: entry.apiVersion,
                description: entry.description,
                isLocal: entry.isLocal,
                isRemote: entry.isRemote,
                module: path,
                configSchema: entry.configSchema,
                ...(entry.settingsSchema ? { settingsSchema: entry.settingsSchema } : {}),
              })
            }
          })
          for (const entry of entries)
            done(context, `Registered custom ${noun} flavor '${entry.name}' from ${path}.`)
          return 0
        },
      }),
      delete: defineCommand({
        summary: `Forget a custom ${noun} flavor (refused while components use it)`,
        args: [{ name: 'FLAVOR', required: true, help: 'The custom flavor' }],
        async run(context) {
          const workspace = await context.workspace()
          const name = context.args.FLAVOR
          await workspace.store.transaction((tx) => tx.flavors.delete(type, name))
          done(context, `Deleted custom ${noun} flavor '${name}'.`)
          return 0
        },
      }),
    },
  })
}
