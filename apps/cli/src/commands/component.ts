import { type ComponentType, StrataError } from '@strata/core/base'
import type { ComponentRecord, StrataWorkspace } from '@strata/sdk/stack-state'
import {
  activeStackOrWarn,
  type CommandContext,
  type CommandSpec,
  componentCliName,
  configFromExtras,
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
  removeAttributes,
  shortId,
  UsageError,
  warnMissingSecrets,
  withArticle,
} from '../kit.js'
import { flavorGroup } from './component-flavor.js'

/** A component as JSON/YAML output shows it: secret fields masked by the flavor's schema when known. */
async function componentData(context: CommandContext, component: ComponentRecord, stacks: string[]) {
  const { registry } = await context.flavors()
  const { maskConfig } = await import('@strata/core/base')
  const schema = registry.find(component.type, component.flavor)?.configSchema
  return {
    id: component.id,
    type: component.type,
    name: component.name,
    flavor: component.flavor,
    plugin: `${component.plugin}@${component.pluginVersion}`,
    config: schema ? maskConfig(component.config, schema) : component.config,
    stacks,
    createdAt: component.createdAt,
    updatedAt: component.updatedAt,
  }
}

/** The named component, or the active stack's component of that type. */
async function target(
  context: CommandContext,
  workspace: StrataWorkspace,
  type: ComponentType,
  name: string | undefined,
): Promise<ComponentRecord> {
  if (name !== undefined) return await workspace.store.components.get(type, name)
  const active = await activeStackOrWarn(context, workspace)
  const component = active?.components[type]
  if (component) return component
  throw new StrataError(
    'COMPONENT_NOT_FOUND',
    `the active stack${active ? ` '${active.name}'` : ''} has no ${label(type)} — name one ('strata ${componentCliName(type)} describe NAME') or add one to the stack ('strata stack update ${active?.name ?? 'STACK'} --${componentCliName(type)} NAME')`,
  )
}

/** Validates a new config with the flavor, then writes it in one transaction. */
async function saveConfig(
  context: CommandContext,
  component: ComponentRecord,
  config: Record<string, unknown>,
): Promise<void> {
  const [workspace, sdk, { registry }] = await Promise.all([
    context.workspace(),
    context.sdk(),
    context.flavors(),
  ])
  const prepared = await sdk.prepareComponent(
    { type: component.type, name: component.name, flavor: component.flavor, config },
    { registry, secrets: workspace.store.secrets },
  )
  await workspace.store.transaction((tx) =>
    tx.components.update(component.id, {
      config: prepared.config,
      plugin: prepared.plugin,
      pluginVersion: prepared.pluginVersion,
    }),
  )
  warnMissingSecrets(context, prepared.missingSecrets)
}

function commands(type: ComponentType): Record<string, CommandSpec | GroupSpec> {
  const cli = componentCliName(type)
  const noun = label(type)
  const nameArgument = { name: 'NAME', required: true, help: `The ${noun}'s name (or id)` } as const
  return {
    register: defineCommand({
      summary: `Register a new ${noun}`,
      description: `Config keys may be spelled --my-key, --my_key or --myKey; values are checked by\nthe flavor ('strata ${cli} flavor describe FLAVOR'). Secret fields take references: --token={{my_secret.token}}.\nA value '@path' is read from that file.`,
      args: [{ ...nameArgument, help: `A name for the ${noun}` }],
      options: { flavor: { short: 'f', help: `The flavor ('strata ${cli} flavor list')` } },
      extras: { kind: 'config', help: 'Configuration of the flavor' },
      examples: [`strata ${cli} register my-${cli} --flavor local`],
      async run(context) {
        const { flavor } = context.options
        if (!flavor) throw new UsageError(`missing --flavor — see 'strata ${cli} flavor list'`, context.path)
        const name = context.args.NAME
        const [workspace, sdk, { registry }] = await Promise.all([
          context.workspace(),
          context.sdk(),
          context.flavors(),
        ])
        const entry = registry.find(type, flavor)
        // Installed but refused for its interface version: that refusal is the error, not "unknown".
        const refusal = entry ? undefined : registry.refusal?.(type, flavor)
        if (refusal) throw refusal
        const integration = sdk.integrationOfFlavor(type, flavor)
        if (!entry && integration) {
          throw new StrataError(
            'UNKNOWN_FLAVOR',
            `${type} flavor '${flavor}' comes with the ${integration.name} integration, which this project does not have — install it with 'strata integration install ${integration.name}'`,
          )
        }
        const config = configFromExtras(context, entry?.configSchema)
        const prepared = await sdk.prepareComponent(
          { type, name, flavor, config },
          { registry, secrets: workspace.store.secrets },
        )
        const { missingSecrets, ...component } = prepared
        await workspace.store.transaction((tx) => tx.components.create(component))
        done(
          context,
          `Registered ${noun} '${name}' (flavor ${flavor} from ${component.plugin}@${component.pluginVersion}).`,
        )
        warnMissingSecrets(context, missingSecrets)
        return 0
      },
    }),
    list: defineCommand({
      summary: `List ${noun}s`,
      options: listOptions(['name', 'flavor', 'created', 'updated']),
      async run(context) {
        return printList(context, {
          rows: async (page) => {
            const workspace = await context.workspace()
            const { components } = workspace.store
            const total = await components.count({ type })
            const found = await components.list({
              type,
              sort: context.options.sort,
              limit: page.size,
              offset: page.offset,
            })
            const active = (await activeStackOrWarn(context, workspace))?.components[type]
            const items = []
            for (const component of found) {
              const stacks = await components.stacksUsing(component.id)
              items.push({ component, stacks, active: component.id === active?.id })
            }
            return { items, total }
          },
          items: (rows) => Promise.all(rows.map((row) => componentData(context, row.component, row.stacks))),
          noun: `${noun}s`,
          empty: `No ${noun}s yet — register one with 'strata ${cli} register NAME --flavor FLAVOR'.`,
          columns: [
            {
              header: 'ACTIVE',
              value: (row) => (row.active ? context.io.style('●', 'green') : ''),
              shrink: false,
            },
            { header: 'NAME', value: (row) => row.component.name },
            { header: 'ID', value: (row) => shortId(row.component.id), shrink: false },
            { header: 'FLAVOR', value: (row) => row.component.flavor },
            {
              header: 'PLUGIN',
              value: (row) => `${row.component.plugin}@${row.component.pluginVersion}`,
            },
            { header: 'STACKS', value: (row) => row.stacks.join(', ') },
          ],
        })
      },
    }),
    describe: defineCommand({
      summary: `Show ${withArticle(noun)}'s flavor and configuration (default: the active stack's)`,
      args: [{ ...nameArgument, required: false }],
      options: outputOption,
      async run(context) {
        const { output } = context.options
        const workspace = await context.workspace()
        const component = await target(context, workspace, type, context.args.NAME)
        const data = await componentData(
          context,
          component,
          await workspace.store.components.stacksUsing(component.id),
        )
        if (output !== 'table') {
          await printData(context.io, output, data)
          return 0
        }
        context.io.out(context.io.style(`${noun} '${component.name}'`, 'bold'))
        printFields(
          context.io,
          [
            ['ID', component.id],
            ['FLAVOR', component.flavor],
            ['PLUGIN', data.plugin],
            ['STACKS', data.stacks.join(', ') || '-'],
          ],
          '  ',
        )
        context.io.out(context.io.style('Configuration:', 'bold'))
        const entries = Object.entries(data.config)
        if (entries.length === 0) context.io.out('  (flavor defaults)')
        printFields(
          context.io,
          entries.map(([key, value]) => [key, typeof value === 'string' ? value : JSON.stringify(value)]),
          '  ',
        )
        return 0
      },
    }),
    get: defineCommand({
      summary: `Print the name of the active stack's ${noun}`,
      async run(context) {
        const workspace = await context.workspace()
        context.io.out((await target(context, workspace, type, undefined)).name)
        return 0
      },
    }),
    update: defineCommand({
      summary: `Change ${withArticle(noun)}'s configuration`,
      description: 'Given keys are set; the others keep their values. The flavor checks the result.',
      args: [nameArgument],
      extras: { kind: 'config', help: 'Configuration to set' },
      examples: [`strata ${cli} update my-${cli} --KEY=VALUE`],
      async run(context) {
        if (context.extras.length === 0)
          throw new UsageError('nothing to update: pass --KEY=VALUE pairs', context.path)
        const workspace = await context.workspace()
        const component = await workspace.store.components.get(type, context.args.NAME)
        const { registry } = await context.flavors()
        const schema = registry.find(type, component.flavor)?.configSchema
        await saveConfig(context, component, configFromExtras(context, schema, component.config))
        done(context, `Updated ${noun} '${component.name}'.`)
        return 0
      },
    }),
    'remove-attribute': defineCommand({
      summary: `Remove attributes from ${withArticle(noun)}'s configuration (back to the flavor's defaults)`,
      args: [
        nameArgument,
        { name: 'ATTRIBUTE', required: true, variadic: true, help: 'The attributes to remove' },
      ],
      async run(context) {
        const workspace = await context.workspace()
        const component = await workspace.store.components.get(type, context.args.NAME)
        const { registry } = await context.flavors()
        const schema = registry.find(type, component.flavor)?.configSchema
        const attributes = context.args.ATTRIBUTE
        await saveConfig(
          context,
          component,
          removeAttributes(component.config, attributes, schema, context.path),
        )
        done(context, `Removed ${attributes.join(', ')} from ${noun} '${component.name}'.`)
        return 0
      },
    }),
    rename: defineCommand({
      summary: `Rename ${withArticle(noun)}`,
      args: [nameArgument, { name: 'NEW_NAME', required: true, help: 'The new name' }],
      async run(context) {
        const workspace = await context.workspace()
        const component = await workspace.store.components.get(type, context.args.NAME)
        const renamed = await workspace.store.transaction((tx) =>
          tx.components.update(component.id, { name: context.args.NEW_NAME }),
        )
        done(context, `Renamed ${noun} '${component.name}' to '${renamed.name}'.`)
        return 0
      },
    }),
    delete: defineCommand({
      summary: `Delete ${withArticle(noun)} (refused while a stack uses it)`,
      args: [nameArgument],
      async run(context) {
        const workspace = await context.workspace()
        const component = await workspace.store.components.get(type, context.args.NAME)
        await workspace.store.transaction((tx) => tx.components.delete(component.id))
        done(context, `Deleted ${noun} '${component.name}'.`)
        return 0
      },
    }),
    flavor: flavorGroup(type),
  }
}

/** `strata <component-type> ...`: the same commands for each of the 14 component types. */
export function componentGroup(type: ComponentType): GroupSpec {
  return defineGroup({
    summary: `Register and manage ${label(type)}s`,
    commands: commands(type),
  })
}
