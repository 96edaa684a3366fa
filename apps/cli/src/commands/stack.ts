import type { ComponentCliName, ComponentType } from '@strata/core/base'
import {
  type ComponentRecord,
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
  label,
  listOptions,
  type OptionSpec,
  outputOption,
  printData,
  printList,
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

/** The component types a stack may do without. */
type OptionalComponentType = Exclude<ComponentType, (typeof REQUIRED_COMPONENT_TYPES)[number]>
const OPTIONAL_COMPONENT_TYPES = COMPONENT_TYPES.filter(
  (type): type is OptionalComponentType => !REQUIRED_COMPONENT_TYPES.includes(type),
)

/** One option per component type, named as its command group (`-a, --artifact-store`). */
function optionPerType<Type extends ComponentType, Spec extends OptionSpec>(
  types: readonly Type[],
  spec: (type: Type) => Spec,
): Record<ComponentCliName<Type>, Spec> {
  return Object.fromEntries(types.map((type) => [componentCliName(type), spec(type)])) as Record<
    ComponentCliName<Type>,
    Spec
  >
}

const componentOptions = optionPerType(COMPONENT_TYPES, (type) => ({
  short: SHORT[type],
  placeholder: 'NAME',
  help: `The ${label(type)} ('strata ${componentCliName(type)} list')`,
}))

const stackArgument = { name: 'NAME', required: true, help: "The stack's name (or id)" } as const

/** The components `-o NAME -a NAME ...` name, by type. */
async function chosenComponents(
  context: CommandContext<object, Record<ComponentCliName, string | undefined>>,
  workspace: StrataWorkspace,
): Promise<Partial<Record<ComponentType, ComponentRecord>>> {
  const chosen: Partial<Record<ComponentType, ComponentRecord>> = {}
  for (const type of COMPONENT_TYPES) {
    const name = context.options[componentCliName(type)]
    if (name !== undefined) chosen[type] = await workspace.store.components.get(type, name)
  }
  return chosen
}

/** Component ids by type, as the store writes a stack's components. */
function idsOf(
  components: Partial<Record<ComponentType, ComponentRecord>>,
): Partial<Record<ComponentType, string>> {
  return Object.fromEntries(Object.entries(components).map(([type, component]) => [type, component.id]))
}

/** Validates a stack's flavors and configs (not its secrets) before it is written. */
async function validateComponents(
  context: CommandContext,
  name: string,
  chosen: Partial<Record<ComponentType, ComponentRecord>>,
  base?: StackRecord,
): Promise<void> {
  const record: StackRecord = base
    ? { ...base, components: { ...base.components, ...chosen } }
    : { id: '', name, description: undefined, components: chosen, createdAt: '', updatedAt: '' }
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
  const [{ registry }, { maskConfig }] = await Promise.all([context.flavors(), import('@strata/core/base')])
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
      args: [{ ...stackArgument, help: 'A name for the stack' }],
      options: { ...componentOptions, set: { type: 'boolean', help: 'Make it the active stack' } },
      examples: ['strata stack register prod -o kubeflow -a s3-store -e mlflow --set'],
      async run(context) {
        const name = context.args.NAME
        const workspace = await context.workspace()
        await ensureDefaultStack(workspace.store)
        const chosen = await chosenComponents(context, workspace)
        await validateComponents(context, name, chosen)
        // One transaction for both writes: when activating fails (an unreadable project setting, say),
        // the stack is not left registered either. The project's setting file is written last, inside it.
        const { stack, active } = await workspace.store.transaction(async (tx) => {
          const stack = await tx.stacks.create({ name, components: idsOf(chosen) })
          return {
            stack,
            active: context.options.set
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
        return printList(context, {
          rows: async (page) => {
            const workspace = await context.workspace()
            await ensureDefaultStack(workspace.store)
            const { stacks } = workspace.store
            const total = await stacks.count()
            const found = await stacks.list({
              sort: context.options.sort,
              limit: page.size,
              offset: page.offset,
            })
            const active = await activeStackOrWarn(context, workspace)
            return { items: found.map((stack) => ({ stack, active: stack.id === active?.id })), total }
          },
          items: (rows) => Promise.all(rows.map((row) => stackData(context, row.stack, row.active))),
          noun: 'stacks',
          columns: (rows) => [
            {
              header: 'ACTIVE',
              value: (row) => (row.active ? context.io.style('●', 'green') : ''),
              shrink: false,
            },
            { header: 'STACK NAME', value: (row) => row.stack.name },
            { header: 'STACK ID', value: (row) => shortId(row.stack.id), shrink: false },
            ...COMPONENT_TYPES.filter((type) => rows.some((row) => row.stack.components[type])).map(
              (type) => ({
                header: type.toUpperCase(),
                value: (row: (typeof rows)[number]) => row.stack.components[type]?.name ?? '',
              }),
            ),
          ],
        })
      },
    }),
    describe: defineCommand({
      summary: "Show a stack's components (default: the active stack)",
      args: [{ ...stackArgument, required: false }],
      options: outputOption,
      async run(context) {
        const { output } = context.options
        const workspace = await context.workspace()
        await ensureDefaultStack(workspace.store)
        const name = context.args.NAME
        const active = await activeStackOrWarn(context, workspace)
        const stack = name === undefined ? active : await workspace.store.stacks.get(name)
        if (!stack) throw new UsageError('there is no active stack to describe — name one', context.path)
        const isActive = stack.id === active?.id
        if (output !== 'table') {
          await printData(context.io, output, await stackData(context, stack, isActive))
          return 0
        }
        context.io.out(context.io.style(`Stack '${stack.name}'${isActive ? ' (active)' : ''}`, 'bold'))
        printTable(
          context.io,
          [
            { header: 'COMPONENT_TYPE', value: (component: ComponentRecord) => component.type.toUpperCase() },
            { header: 'COMPONENT_NAME', value: (component) => component.name },
            { header: 'FLAVOR', value: (component) => component.flavor },
          ],
          COMPONENT_TYPES.flatMap((type) => stack.components[type] ?? []),
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
      args: [stackArgument],
      options: { user: { type: 'boolean', help: "Set your user's active stack even inside a project" } },
      async run(context) {
        const workspace = await context.workspace()
        const active = await setActiveStack(
          workspace,
          context.args.NAME,
          context.options.user ? { scope: 'user' } : {},
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
      args: [stackArgument],
      options: componentOptions,
      examples: ['strata stack update prod -e other-tracker'],
      async run(context) {
        const workspace = await context.workspace()
        const stack = await workspace.store.stacks.get(context.args.NAME)
        const chosen = await chosenComponents(context, workspace)
        if (Object.keys(chosen).length === 0)
          throw new UsageError('nothing to update: pass components, e.g. -e TRACKER', context.path)
        await validateComponents(context, stack.name, chosen, stack)
        await workspace.store.transaction((tx) => tx.stacks.updateComponents(stack.id, idsOf(chosen)))
        done(context, `Updated stack '${stack.name}'.`)
        return 0
      },
    }),
    'remove-component': defineCommand({
      summary: 'Remove components from a stack (not the orchestrator or the artifact store)',
      args: [stackArgument],
      options: optionPerType(OPTIONAL_COMPONENT_TYPES, (type) => ({
        short: SHORT[type],
        type: 'boolean' as const,
        help: `Remove the ${label(type)}`,
      })),
      examples: ['strata stack remove-component prod --experiment-tracker'],
      async run(context) {
        const workspace = await context.workspace()
        const stack = await workspace.store.stacks.get(context.args.NAME)
        const removed = OPTIONAL_COMPONENT_TYPES.filter((type) => context.options[componentCliName(type)])
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
      args: [stackArgument, { name: 'NEW_NAME', required: true, help: 'The new name' }],
      async run(context) {
        const workspace = await context.workspace()
        const old = context.args.NAME
        // Atomic with the project's setting that follows it (see renameStack).
        const renamed = await renameStack(workspace, old, context.args.NEW_NAME)
        done(context, `Renamed stack '${old}' to '${renamed.name}'.`)
        return 0
      },
    }),
    copy: defineCommand({
      summary: 'Copy a stack (the copy uses the same components)',
      args: [
        { ...stackArgument, name: 'SOURCE' },
        { name: 'TARGET', required: true, help: 'The new stack' },
      ],
      async run(context) {
        const workspace = await context.workspace()
        await ensureDefaultStack(workspace.store)
        const source = await workspace.store.stacks.get(context.args.SOURCE)
        const copy = await workspace.store.transaction((tx) =>
          tx.stacks.create({ name: context.args.TARGET, components: idsOf(source.components) }),
        )
        done(context, `Copied stack '${source.name}' to '${copy.name}'.`)
        return 0
      },
    }),
    delete: defineCommand({
      summary: 'Delete a stack (its components stay unless --recursive)',
      args: [stackArgument],
      options: {
        yes: { short: 'y', type: 'boolean', help: 'Do not ask for confirmation' },
        recursive: {
          short: 'r',
          type: 'boolean',
          help: 'Also delete its components that no other stack uses',
        },
      },
      async run(context) {
        const workspace = await context.workspace()
        await ensureDefaultStack(workspace.store)
        const name = context.args.NAME
        await workspace.store.stacks.get(name)
        if (!context.options.yes && !(await context.confirm(`Delete stack '${name}'?`))) {
          context.io.note('Nothing deleted.')
          return 1
        }
        const result = await deleteStack(workspace, name, { deleteComponents: context.options.recursive })
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
