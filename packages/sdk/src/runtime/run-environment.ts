import { join } from 'node:path'
import {
  type AnyFlavor,
  ArtifactStoreHost,
  type ComponentType,
  type ExperimentTrackerV1,
  type FlavorRegistry,
  type Logger,
  type OrchestratorV1,
  parseFlavorConfig,
  silentLogger,
} from '@strata/core'
import {
  ArtifactRepository,
  ModelRepository,
  RunRepository,
  resolveConfigDir,
  SqliteStore,
} from '@strata/store'
import { discoverFlavors } from '../discovery/discover-flavors.js'
import { findProjectRoot } from '../discovery/project-root.js'
import type { RunRepositories } from './store-recorder.js'

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

/** Everything a pipeline run needs around it: the store, the stack's components, the project. */
export interface RunEnvironment {
  repositories: RunRepositories
  registry: FlavorRegistry
  stackName: string
  orchestrator: { component: RunComponent; implementation: OrchestratorV1 }
  artifactStore: { component: RunComponent; host: ArtifactStoreHost }
  experimentTracker?: { component: RunComponent; create(): Promise<ExperimentTrackerV1> }
  projectRoot: string
  configDir: string
  /** Secret values the stack's configs hold, to redact from logs and errors. */
  secretValues: string[]
  logger: Logger
  close(): Promise<void>
}

export interface OpenRunEnvironmentOptions {
  configDir?: string
  projectRoot?: string
  logger?: Logger
}

/** Creates a component's implementation from its flavor. */
export async function createComponent<T>(
  registry: FlavorRegistry,
  component: RunComponent,
  options: { configDir: string; logger: Logger },
): Promise<T> {
  const flavor: AnyFlavor = await registry.load(component.type, component.flavor)
  const config = parseFlavorConfig(flavor, component.config, { componentName: component.name })
  return (await flavor.create(config as never, {
    componentName: component.name,
    componentId: component.id,
    dataDir: join(options.configDir, 'local_stores', component.id),
    logger: options.logger,
  })) as T
}

/**
 * Opens the store and builds the default stack (local orchestrator + local artifact store).
 * Stacks registered with the CLI are resolved by the stacks module once it lands.
 */
export async function openRunEnvironment(options: OpenRunEnvironmentOptions = {}): Promise<RunEnvironment> {
  const configDir = options.configDir ?? resolveConfigDir()
  const projectRoot = options.projectRoot ?? findProjectRoot() ?? process.cwd()
  const logger = options.logger ?? silentLogger
  const store = SqliteStore.open({ configDir })
  const repositories: RunRepositories = {
    store,
    runs: new RunRepository(store),
    artifacts: new ArtifactRepository(store),
    models: new ModelRepository(store),
  }
  const { registry } = discoverFlavors({ projectRoot })
  const componentFor = (type: ComponentType, flavor: string): RunComponent => {
    const entry = registry.get(type, flavor)
    return { id: 'default', name: 'default', type, flavor, config: {}, entry: entry.entryUrl }
  }
  const orchestratorComponent = componentFor('orchestrator', 'local')
  const artifactStoreComponent = componentFor('artifact_store', 'local')
  const orchestrator = await createComponent<OrchestratorV1>(registry, orchestratorComponent, {
    configDir,
    logger,
  })
  const artifactStore = new ArtifactStoreHost(
    await createComponent(registry, artifactStoreComponent, { configDir, logger }),
    { name: artifactStoreComponent.name, flavor: artifactStoreComponent.flavor, logger },
  )
  return {
    repositories,
    registry,
    stackName: 'default',
    orchestrator: { component: orchestratorComponent, implementation: orchestrator },
    artifactStore: { component: artifactStoreComponent, host: artifactStore },
    projectRoot,
    configDir,
    secretValues: [],
    logger,
    async close() {
      await artifactStore.close()
      await orchestrator.close?.()
      store.close()
    },
  }
}
