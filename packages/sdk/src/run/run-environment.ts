import {
  ArtifactStoreHost,
  COMPONENT_TYPES,
  type ComponentType,
  type ExperimentTrackerV1,
  type FlavorCatalog,
  hostComponent,
  type Logger,
  type OrchestratorV1,
  resolveConfigSecrets,
  StrataError,
  secretValuesOf,
  silentLogger,
} from '@strata/core'
import type { StoreRepositories } from '@strata/store'
import { artifactStoreTimeout } from '../stacks/artifact-store-timeout.js'
import { createComponent } from '../stacks/components.js'
import { storeSecretResolver } from '../stacks/secret-resolver.js'
import { validateStoredStack } from '../stacks/stack-runtime.js'
import { openWorkspace, resolveActiveStack, type StrataWorkspace } from '../stacks/stack-state.js'
import { discoverWorkspaceFlavors } from '../stacks/workspace-flavors.js'

/** A stack component as a run uses it: enough to create it here, or in a step process. */
export interface RunComponent {
  id: string
  name: string
  type: ComponentType
  flavor: string
  /** Config with secret references resolved (never printed). */
  config: Record<string, unknown>
  /** The module that exports the flavor's plugin, importable by a step process on this machine. */
  entry: string | undefined
}

/** Every component of a stack as a run uses it, by type: an orchestrator and an artifact store at least. */
type RunComponents = { orchestrator: RunComponent; artifact_store: RunComponent } & Partial<
  Record<ComponentType, RunComponent>
>

/** Everything a pipeline run needs around it: the store, the stack's components, the project. */
export interface RunEnvironment {
  /** The store's repositories (the workspace's store). */
  repositories: StoreRepositories
  workspace: StrataWorkspace
  registry: FlavorCatalog
  stackName: string
  /** The stack's components with their secrets resolved (never printed), keyed by component type. */
  components: RunComponents
  /** The stack's orchestrator, behind its host. */
  orchestrator: OrchestratorV1
  /** The stack's artifact store, behind its host. */
  artifactStore: ArtifactStoreHost
  /** A new experiment tracker behind its host (one per run; the run closes it), when the stack has one. */
  createExperimentTracker?: () => Promise<ExperimentTrackerV1>
  projectRoot: string
  configDir: string
  /** Secret values the stack's configs hold, to redact from logs and errors. */
  secretValues: string[]
  logger: Logger
  close(): Promise<void>
}

export interface OpenRunEnvironmentOptions {
  /** Use this open store (the caller closes it) instead of opening one. */
  workspace?: StrataWorkspace
  configDir?: string
  /** The project (where its package.json and `.strata/` are). @default the project around the current directory */
  projectRoot?: string
  /** Run on this stack instead of the active one. */
  stack?: string
  logger?: Logger
}

/**
 * Opens the store and builds the active stack (the project's, else the user's; the default stack on a new
 * store): validates it, resolves its secrets, and creates its orchestrator and artifact store. The
 * experiment tracker is created on first use.
 * @throws StrataError `INVALID_STACK`, `SECRET_NOT_FOUND`, `STACK_NOT_FOUND`, … with the fix
 */
export async function openRunEnvironment(options: OpenRunEnvironmentOptions = {}): Promise<RunEnvironment> {
  const owned = options.workspace === undefined
  const workspace =
    options.workspace ??
    openWorkspace({
      ...(options.configDir ? { configDir: options.configDir } : {}),
      ...(options.projectRoot ? { cwd: options.projectRoot } : {}),
    })
  try {
    const projectRoot = options.projectRoot ?? workspace.projectRoot ?? process.cwd()
    const logger = options.logger ?? silentLogger
    const stack = options.stack
      ? await workspace.store.stacks.get(options.stack)
      : (await resolveActiveStack(workspace)).stack
    const { registry } = await discoverWorkspaceFlavors(workspace)
    const secrets = storeSecretResolver(workspace.store.secrets)
    await validateStoredStack(stack, { registry, secrets })
    const create = { registry, secrets, configDir: workspace.configDir, logger }

    const secretValues: string[] = []
    const components: Partial<Record<ComponentType, RunComponent>> = {}
    // Every component's secrets are the run's too (masked in everything it writes), whether the run
    // builds it here or a step process does.
    for (const type of COMPONENT_TYPES) {
      const record = stack.components[type]
      if (!record) continue
      const entry = registry.get(type, record.flavor)
      const config = await resolveConfigSecrets(record.config, entry.configSchema, secrets)
      secretValues.push(...secretValuesOf(config, entry.configSchema))
      components[type] = {
        id: record.id,
        name: record.name,
        type,
        flavor: record.flavor,
        config,
        entry: entry.entryUrl,
      }
    }
    const identity = (type: ComponentType) => {
      const record = stack.components[type]
      return { type, name: record?.name ?? type, flavor: record?.flavor ?? 'unknown' }
    }
    const orchestratorRecord = stack.components.orchestrator
    const artifactStoreRecord = stack.components.artifact_store
    const trackerRecord = stack.components.experiment_tracker
    const orchestratorComponent = components.orchestrator
    const artifactStoreComponent = components.artifact_store
    // validateStoredStack refused a stack without them; the type system cannot know that.
    if (!orchestratorRecord || !artifactStoreRecord || !orchestratorComponent || !artifactStoreComponent) {
      throw new StrataError(
        'INVALID_STACK',
        `stack '${stack.name}' needs an orchestrator and an artifact store`,
      )
    }
    const orchestrator = hostComponent(
      await createComponent({ ...orchestratorRecord, type: 'orchestrator' }, create),
      identity('orchestrator'),
      { logger, hostPropertiesOf: ['schedules'] },
    )
    const artifactStore = new ArtifactStoreHost(
      await createComponent({ ...artifactStoreRecord, type: 'artifact_store' }, create),
      {
        name: artifactStoreRecord.name,
        flavor: artifactStoreRecord.flavor,
        logger,
        ...artifactStoreTimeout(),
      },
    )
    return {
      repositories: workspace.store,
      workspace,
      registry,
      stackName: stack.name,
      components: {
        ...components,
        orchestrator: orchestratorComponent,
        artifact_store: artifactStoreComponent,
      },
      orchestrator,
      artifactStore,
      ...(trackerRecord
        ? {
            createExperimentTracker: async () =>
              hostComponent(
                await createComponent({ ...trackerRecord, type: 'experiment_tracker' }, create),
                identity('experiment_tracker'),
                { logger, hostResultsOf: ['startStep', 'startPipelineRun'] },
              ),
          }
        : {}),
      projectRoot,
      configDir: workspace.configDir,
      secretValues: secretValues.filter((value) => value.length >= 4),
      logger,
      async close() {
        await artifactStore.close()
        await orchestrator.close?.()
        if (owned) await workspace.close()
      },
    }
  } catch (error) {
    if (owned) await workspace.close()
    throw error
  }
}
