import type { ComponentType } from '@strata/core/base'
import {
  deleteStack,
  ensureDefaultStack,
  renameStack,
  resolveActiveStack,
  type StackRecord,
  type StrataWorkspace,
  setActiveStack,
} from '@strata/sdk/stack-state'
import {
  activeStackOrWarn,
  COMPONENT_TYPES,
  type CommandContext,
  CommandError,
  componentCliName,
  defineCommand,
  defineGroup,
  done,
  formatOf,
  label,
  listOptions,
  type OptionSpec,
  OUTPUT_OPTION,
  pageFooter,
  pageOf,
  paginationOf,
  printData,
  printTable,
  REQUIRED_COMPONENT_TYPES,
  shortId,
  UsageError,
  withArticle,
} from '../kit.js'
import { stackExportCommand, stackImportCommand } from './stack-export.js'
import { stackSecretsCommand } from './stack-secrets.js'
import { stackValidateCommand } from './stack-validate.js'

/** ZenML's short flags for component types. */
const SHORT: Record<ComponentType, string> = {
  orchestrator: 'o',
  artifact_store: 'a',
  container_registry: 'c',
  image_builder: 'i',
  step_operator: 's',
  experiment_tracker: 'e',
  model_registry: 'r',
  model_deployer: 'd',
  alerter: 'al',
  annotator: 'an',
  data_validator: 'dv',
  feature_store: 'f',
  log_store: 'l',
  deployer: 'D',
}

const componentOptions: OptionSpec[] = COMPONENT_TYPES.map((type) => ({
  name: componentCliName(type),
  short: SHORT[type],
  placeholder: 'NAME',
  help: `The ${label(type)} ('strata ${componentCliName(type)} list')`,
}))

const stackArg = { name: 'NAME', required: true, help: "The stack's name (or id)" }

/** Component ids by type from `-o NAME -a NAME ...`. */
async function chosenComponents(
  context: CommandContext,
  workspace: StrataWorkspace,
): Promise<Partial<Record<ComponentType, string>>> {
  const ids: Partial<Record<ComponentType, string>> = {}
  for (const type of COMPONENT_TYPES) {
    const name = context.arg(componentCliName(type))
    if (name !== undefined) ids[type] = (await workspace.store.components.get(type, name)).id
  }
  return ids
}

/** Validates a stack's flavors and configs (not its secrets) before it is written. */
async function validateComponents(
  context: CommandContext,
  workspace: StrataWorkspace,
  name: string,
  ids: Partial<Record<ComponentType, string | null>>,
  base?: StackRecord,
): Promise<void> {
  const record: StackRecord = base
    ? structuredClone(base)
    : { id: '', name, description: undefined, components: {}, createdAt: '', updatedAt: '' }
  for (const [type, id] of Object.entries(ids) as Array<[ComponentType, string | null]>) {
    if (id === null) delete record.components[type]
    else record.components[type] = (await workspace.store.components.findById(id))!
  }
  const missing = REQUIRED_COMPONENT_TYPES.filter((type) => !record.components[type])
  if (missing.length > 0) {
    throw new UsageError(
      `stack '${name}' needs ${missing.map((type) => `${withArticle(label(type))} (--${componentCliName(type)} NAME)`).join(' and ')}`,
      context.path,
    )
  }
  const [sdk, { registry }] = await Promise.all([context.sdk(), context.flavors()])
  await sdk.validateStoredStack(record, { registry })
}

async function stackData(context: CommandContext, stack: StackRecord, active: boolean) {
  const [{ registry }, { maskConfig }] = await Promise.all([context.flavors(), import('@strata/core')])
  const components: Record<string, unknown> = {}
  for (const type of COMPONENT_TYPES) {
    const component = stack.components[type]
    if (!component) continue
    const schema = registry.find(type, component.flavor)?.configSchema
    components[type] = {
      id: component.id,
      name: component.name,
      flavor: component.flavor,
      plugin: `${component.plugin}@${component.pluginVersion}`,
      config: schema ? maskConfig(component.config, schema) : component.config,
    }
  }
  return {
    id: stack.id,
    name: stack.name,
    active,
    components,
    createdAt: stack.createdAt,
    updatedAt: stack.updatedAt,
  }
}

export default defineGroup({
  summary: 'Register, activate, share and validate stacks',
  description:
    "A stack is a set of components, at most one per type; it needs an orchestrator and an artifact store.\nThe 'default' stack (local orchestrator + local artifact store) always exists.",
  commands: {
    register: defineCommand({
      summary: 'Register a stack from registered components',
      args: [{ ...stackArg, help: 'A name for the stack' }],
      options: [...componentOptions, { name: 'set', type: 'boolean', help: 'Make it the active stack' }],
      examples: ['strata stack register prod -o kubeflow -a s3-store -e mlflow --set'],
      async run(context) {
        const name = context.arg('NAME')!
        const workspace = await context.workspace()
        await ensureDefaultStack(workspace.store)
        const ids = await chosenComponents(context, workspace)
        await validateComponents(context, workspace, name, ids)
        // One transaction for both writes: when activating fails (an unreadable project setting, say),
        // the stack is not left registered either. The project's setting file is written last, inside it.
        const { stack, active } = await workspace.store.transaction(async (tx) => {
          const stack = await tx.stacks.create({ name, components: ids })
          return {
            stack,
            active:
              context.options.set === true
                ? await setActiveStack(workspace, stack.id, { transaction: tx })
                : undefined,
          }
        })
        done(context, `Registered stack '${stack.name}'.`)
        if (active) {
          done(
            context,
            `Active stack${active.source === 'project' ? ' for this project' : ''}: '${stack.name}'.`,
          )
        }
        return 0
      },
    }),
    list: defineCommand({
      summary: 'List stacks',
      options: listOptions(['name', 'created', 'updated']),
      async run(context) {
        const format = formatOf(context)
        const workspace = await context.workspace()
        await ensureDefaultStack(workspace.store)
        const { stacks } = workspace.store
        const page = pageOf(context.options, await stacks.count(), context.path)
        const rows = await stacks.list({
          sort: context.arg('sort') ?? 'name',
          limit: page.size,
          offset: page.offset,
        })
        const active = await activeStackOrWarn(context, workspace)
        if (format !== 'table') {
          const items = await Promise.all(rows.map((row) => stackData(context, row, row.id === active?.id)))
          await printData(context.io, format, {
            items,
            pagination: paginationOf(page),
          })
          return 0
        }
        const types = COMPONENT_TYPES.filter((type) => rows.some((row) => row.components[type]))
        printTable(
          context.io,
          [
            {
              header: 'ACTIVE',
              value: (row: StackRecord) => (row.id === active?.id ? context.io.style('●', 'green') : ''),
              shrink: false,
            },
            { header: 'STACK NAME', value: (row) => row.name },
            { header: 'STACK ID', value: (row) => shortId(row.id), shrink: false },
            ...types.map((type) => ({
              header: type.toUpperCase(),
              value: (row: StackRecord) => row.components[type]?.name ?? '',
            })),
          ],
          rows,
        )
        pageFooter(context.io, page, 'stacks')
        return 0
      },
    }),
    describe: defineCommand({
      summary: "Show a stack's components (default: the active stack)",
      args: [{ ...stackArg, required: false }],
      options: [OUTPUT_OPTION],
      async run(context) {
        const format = formatOf(context)
        const workspace = await context.workspace()
        await ensureDefaultStack(workspace.store)
        const name = context.arg('NAME')
        const active = await activeStackOrWarn(context, workspace)
        const stack = name === undefined ? active : await workspace.store.stacks.get(name)
        if (!stack) throw new UsageError('there is no active stack to describe — name one', context.path)
        const isActive = stack.id === active?.id
        if (format !== 'table') {
          await printData(context.io, format, await stackData(context, stack, isActive))
          return 0
        }
        context.io.out(context.io.style(`Stack '${stack.name}'${isActive ? ' (active)' : ''}`, 'bold'))
        printTable(
          context.io,
          [
            { header: 'COMPONENT_TYPE', value: (type: ComponentType) => type.toUpperCase() },
            { header: 'COMPONENT_NAME', value: (type) => stack.components[type]!.name },
            { header: 'FLAVOR', value: (type) => stack.components[type]!.flavor },
          ],
          COMPONENT_TYPES.filter((type) => stack.components[type]),
        )
        return 0
      },
    }),
    get: defineCommand({
      summary: 'Print the name of the active stack',
      async run(context) {
        const workspace = await context.workspace()
        context.io.out((await resolveActiveStack(workspace)).stack.name)
        return 0
      },
    }),
    set: defineCommand({
      summary: 'Make a stack active (for this project inside a project made with strata init, else for you)',
      args: [stackArg],
      options: [
        { name: 'user', type: 'boolean', help: "Set your user's active stack even inside a project" },
      ],
      async run(context) {
        const workspace = await context.workspace()
        const active = await setActiveStack(
          workspace,
          context.arg('NAME')!,
          context.options.user === true ? { scope: 'user' } : {},
        )
        done(
          context,
          `Active stack${active.source === 'project' ? ' for this project' : ''}: '${active.stack.name}'.`,
        )
        return 0
      },
    }),
    update: defineCommand({
      summary: "Replace some of a stack's components",
      args: [stackArg],
      options: componentOptions,
      examples: ['strata stack update prod -e other-tracker'],
      async run(context) {
        const workspace = await context.workspace()
        const stack = await workspace.store.stacks.get(context.arg('NAME')!)
        const ids = await chosenComponents(context, workspace)
        if (Object.keys(ids).length === 0)
          throw new UsageError('nothing to update: pass components, e.g. -e TRACKER', context.path)
        await validateComponents(context, workspace, stack.name, ids, stack)
        await workspace.store.transaction((tx) => tx.stacks.updateComponents(stack.id, ids))
        done(context, `Updated stack '${stack.name}'.`)
        return 0
      },
    }),
    'remove-component': defineCommand({
      summary: 'Remove components from a stack (not the orchestrator or the artifact store)',
      args: [stackArg],
      options: COMPONENT_TYPES.filter((type) => !REQUIRED_COMPONENT_TYPES.includes(type)).map((type) => ({
        name: componentCliName(type),
        short: SHORT[type],
        type: 'boolean' as const,
        help: `Remove the ${label(type)}`,
      })),
      examples: ['strata stack remove-component prod --experiment-tracker'],
      async run(context) {
        const workspace = await context.workspace()
        const stack = await workspace.store.stacks.get(context.arg('NAME')!)
        const removed = COMPONENT_TYPES.filter((type) => context.options[componentCliName(type)] === true)
        if (removed.length === 0)
          throw new UsageError(
            'nothing to remove: pass component types, e.g. --experiment-tracker',
            context.path,
          )
        for (const type of removed) {
          if (!stack.components[type])
            throw new CommandError(
              'COMPONENT_NOT_FOUND',
              `stack '${stack.name}' has no ${label(type)} to remove — see 'strata stack describe ${stack.name}'`,
            )
        }
        await workspace.store.transaction((tx) =>
          tx.stacks.updateComponents(stack.id, Object.fromEntries(removed.map((type) => [type, null]))),
        )
        done(context, `Removed ${removed.map(label).join(', ')} from stack '${stack.name}'.`)
        return 0
      },
    }),
    rename: defineCommand({
      summary: 'Rename a stack',
      args: [stackArg, { name: 'NEW_NAME', required: true, help: 'The new name' }],
      async run(context) {
        const workspace = await context.workspace()
        const old = context.arg('NAME')!
        // Atomic with the project's setting that follows it (see renameStack).
        const renamed = await renameStack(workspace, old, context.arg('NEW_NAME')!)
        done(context, `Renamed stack '${old}' to '${renamed.name}'.`)
        return 0
      },
    }),
    copy: defineCommand({
      summary: 'Copy a stack (the copy uses the same components)',
      args: [
        { ...stackArg, name: 'SOURCE' },
        { name: 'TARGET', required: true, help: 'The new stack' },
      ],
      async run(context) {
        const workspace = await context.workspace()
        await ensureDefaultStack(workspace.store)
        const source = await workspace.store.stacks.get(context.arg('SOURCE')!)
        const ids = Object.fromEntries(
          Object.entries(source.components).map(([type, component]) => [type, component.id]),
        )
        const copy = await workspace.store.transaction((tx) =>
          tx.stacks.create({ name: context.arg('TARGET')!, components: ids }),
        )
        done(context, `Copied stack '${source.name}' to '${copy.name}'.`)
        return 0
      },
    }),
    delete: defineCommand({
      summary: 'Delete a stack (its components stay unless --recursive)',
      args: [stackArg],
      options: [
        { name: 'yes', short: 'y', type: 'boolean', help: 'Do not ask for confirmation' },
        {
          name: 'recursive',
          short: 'r',
          type: 'boolean',
          help: 'Also delete its components that no other stack uses',
        },
      ],
      async run(context) {
        const workspace = await context.workspace()
        await ensureDefaultStack(workspace.store)
        const name = context.arg('NAME')!
        await workspace.store.stacks.get(name)
        if (context.options.yes !== true && !(await context.confirm(`Delete stack '${name}'?`))) {
          context.io.note('Nothing deleted.')
          return 1
        }
        const result = await deleteStack(workspace, name, {
          deleteComponents: context.options.recursive === true,
        })
        done(
          context,
          `Deleted stack '${result.stack.name}'${result.deletedComponents.length ? ` and ${result.deletedComponents.join(', ')}` : ''}.`,
        )
        return 0
      },
    }),
    export: stackExportCommand,
    import: stackImportCommand,
    validate: stackValidateCommand,
    'register-secrets': stackSecretsCommand,
  },
})
