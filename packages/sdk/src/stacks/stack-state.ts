// The zod-free part of the stacks API: opening the store, the default stack and the active stack. Start-up
// critical commands (`strata stack list`) import it through `@strata/sdk/stack-state`, which loads no
// plugin code and no schema library.
import { createRequire } from 'node:module'
import { StrataError } from '@strata/core/base'
import {
  DEFAULT_STACK_NAME,
  type MetadataStore,
  resolveConfigDir,
  SETTING_KEYS,
  SqliteStore,
  type StackRecord,
  type StoreRepositories,
  type StoreTransaction,
} from '@strata/store'
import { findProjectRoot } from '../discovery/project-root.js'
import {
  isInitializedProject,
  type ProjectSettings,
  projectSettingsPath,
  readProjectSettings,
  replaceProjectSettings,
} from './project-settings.js'

/** One open store, with where it lives and the project the command runs in. */
export interface StrataWorkspace {
  /** The user's Strata directory: the store, the secrets key, local artifact stores. */
  configDir: string
  /** The project the command runs in (nearest `.strata/`, else nearest package.json), if any. */
  projectRoot: string | undefined
  store: MetadataStore
  /** Closes the store (once the calls already made have finished). */
  close(): Promise<void>
}

export interface OpenWorkspaceOptions {
  /** Where to look for the project. @default process.cwd() */
  cwd?: string
  /** @default resolveConfigDir(env) */
  configDir?: string
  /** @default process.env */
  env?: NodeJS.ProcessEnv
}

/**
 * Opens (creating and migrating when needed) the user's store and finds the project.
 * @throws StrataError from {@link SqliteStore.open} (`NODE_VERSION`, `STORE_TOO_NEW`, ...)
 */
export function openWorkspace(options: OpenWorkspaceOptions = {}): StrataWorkspace {
  const configDir = options.configDir ?? resolveConfigDir(options.env ?? process.env)
  const store = SqliteStore.open({ configDir })
  return {
    configDir,
    projectRoot: findProjectRoot(options.cwd ?? process.cwd()),
    store,
    close: () => store.close(),
  }
}

let localPlugin: { package: string; version: string } | undefined

/** `@strata/local` as installed next to this SDK: the package the default stack's flavors come from. */
function builtinLocalPlugin(): { package: string; version: string } {
  if (!localPlugin) {
    const pkg = createRequire(import.meta.url)('@strata/local/package.json') as { version: string }
    localPlugin = { package: '@strata/local', version: pkg.version }
  }
  return localPlugin
}

/**
 * The default stack (`local` orchestrator + `local` artifact store), created on first use and made the
 * user's active stack when none is set.
 */
export async function ensureDefaultStack(repositories: StoreRepositories): Promise<StackRecord> {
  return (
    (await repositories.stacks.find(DEFAULT_STACK_NAME)) ??
    (await repositories.stacks.ensureDefault(builtinLocalPlugin()))
  )
}

/** The active stack and where that choice was made. */
export interface ActiveStack {
  stack: StackRecord
  /** `project`: the project's `.strata/config.json`; `user`: the user's store. */
  source: 'project' | 'user'
}

/**
 * The active stack: the project's (`.strata/config.json`) when it sets one, else the user's (the default
 * stack until another is set).
 * @throws StrataError `PROJECT_STACK_NOT_FOUND` when the project names a stack this store lacks
 */
export async function resolveActiveStack(workspace: StrataWorkspace): Promise<ActiveStack> {
  const { store } = workspace
  if (isInitializedProject(workspace.projectRoot)) {
    const name = readProjectSettings(workspace.projectRoot).activeStack
    if (name !== undefined) {
      const stack = await store.stacks.find(name)
      if (stack) return { stack, source: 'project' }
      throw new StrataError(
        'PROJECT_STACK_NOT_FOUND',
        `this project's active stack '${name}' (${projectSettingsPath(workspace.projectRoot)}) is not in your store — import it ('strata stack import FILE') or choose another ('strata stack set NAME')`,
        { details: { stack: name } },
      )
    }
  }
  const id = await store.settings.get(SETTING_KEYS.activeStack)
  const stack = id === undefined ? undefined : await store.stacks.findById(id)
  // No active stack yet (a new store): the default stack, created now.
  return { stack: stack ?? (await ensureDefaultStack(store)), source: 'user' }
}

export interface SetActiveStackOptions {
  /**
   * `project` writes `.strata/config.json`; `user` the user's store.
   * @default 'project' inside a project initialized with `strata init`, else 'user'
   */
  scope?: 'project' | 'user'
  /** An open transaction to make the change in (as a savepoint): the caller's commit decides. */
  transaction?: StoreTransaction
}

/**
 * Runs `change` in one store transaction, writing the project's settings it returns last, inside the
 * transaction: when anything fails before the commit, the store rolls back and the file was not
 * written; when the commit itself fails, the file is put back as it was. Inside a caller's transaction
 * (`within`, a savepoint of it) the caller's commit decides for the store, and the file is written when
 * this returns.
 */
async function withProjectSettings<T>(
  workspace: StrataWorkspace,
  change: (
    tx: StoreTransaction,
  ) => Promise<{ result: T; settings?: { projectRoot: string; value: ProjectSettings } }>,
  within: StoreRepositories = workspace.store,
): Promise<T> {
  let restore: (() => void) | undefined
  try {
    return await within.transaction(async (tx) => {
      const { result, settings } = await change(tx)
      if (settings) restore = replaceProjectSettings(settings.projectRoot, settings.value)
      return result
    })
  } catch (error) {
    restore?.()
    throw error
  }
}

/**
 * Makes a stack active, for the project (inside an initialized project, as ZenML does) or for the user.
 * Atomic: a failure leaves the store and the project's settings file as they were.
 * @throws StrataError `STACK_NOT_FOUND`, `NOT_A_PROJECT` (scope `project` outside an initialized project),
 * `INVALID_PROJECT_SETTINGS`, or the file system's error when the settings file cannot be written
 */
export function setActiveStack(
  workspace: StrataWorkspace,
  nameOrId: string,
  options: SetActiveStackOptions = {},
): Promise<ActiveStack> {
  const root = workspace.projectRoot
  const initialized = isInitializedProject(root)
  const scope = options.scope ?? (initialized ? 'project' : 'user')
  return withProjectSettings<ActiveStack>(
    workspace,
    async (tx) => {
      await ensureDefaultStack(tx)
      const stack = await tx.stacks.get(nameOrId)
      if (scope === 'user') {
        await tx.settings.set(SETTING_KEYS.activeStack, stack.id)
        return { result: { stack, source: 'user' } }
      }
      if (!isInitializedProject(root)) {
        throw new StrataError(
          'NOT_A_PROJECT',
          `there is no Strata project here to set a stack for — run 'strata init' in the project root first, or set the stack for your user ('strata stack set ${stack.name} --user')`,
        )
      }
      return {
        result: { stack, source: 'project' },
        settings: { projectRoot: root, value: { ...readProjectSettings(root), activeStack: stack.name } },
      }
    },
    options.transaction,
  )
}

/**
 * Renames a stack, and the project's active stack setting with it when it names that stack. Atomic: a
 * failure leaves the store and the project's settings file as they were.
 * @throws StrataError `STACK_NOT_FOUND`, `DEFAULT_STACK`, `INVALID_NAME`, `STACK_EXISTS`,
 * `INVALID_PROJECT_SETTINGS`, or the file system's error when the settings file cannot be written
 */
export function renameStack(
  workspace: StrataWorkspace,
  nameOrId: string,
  newName: string,
): Promise<StackRecord> {
  const { projectRoot } = workspace
  return withProjectSettings(workspace, async (tx) => {
    const stack = await tx.stacks.get(nameOrId)
    const renamed = await tx.stacks.rename(stack.id, newName)
    if (!isInitializedProject(projectRoot)) return { result: renamed }
    const settings = readProjectSettings(projectRoot)
    if (settings.activeStack !== stack.name) return { result: renamed }
    return { result: renamed, settings: { projectRoot, value: { ...settings, activeStack: newName } } }
  })
}

/**
 * Deletes a stack (its components stay unless `components` lists the ones to delete with it). Refuses the
 * default stack, the user's active stack and the project's active stack.
 * @throws StrataError `STACK_NOT_FOUND`, `DEFAULT_STACK`, `STACK_ACTIVE`, `COMPONENT_IN_USE`
 */
export async function deleteStack(
  workspace: StrataWorkspace,
  nameOrId: string,
  options: { deleteComponents?: boolean } = {},
): Promise<{ stack: StackRecord; deletedComponents: string[] }> {
  const { store, projectRoot } = workspace
  const stack = await store.stacks.get(nameOrId)
  if (isInitializedProject(projectRoot) && readProjectSettings(projectRoot).activeStack === stack.name) {
    throw new StrataError(
      'STACK_ACTIVE',
      `stack '${stack.name}' is this project's active stack and cannot be deleted — activate another one first ('strata stack set ${DEFAULT_STACK_NAME}')`,
      { details: { stack: stack.name } },
    )
  }
  const deletedComponents: string[] = []
  await store.transaction(async (tx) => {
    await tx.stacks.delete(stack.id)
    if (!options.deleteComponents) return
    for (const component of Object.values(stack.components)) {
      // Components another stack still uses stay, as ZenML's `stack delete --recursive` does.
      if ((await tx.components.stacksUsing(component.id)).length > 0) continue
      await tx.components.delete(component.id)
      deletedComponents.push(`${component.type}/${component.name}`)
    }
  })
  return { stack, deletedComponents }
}
