import type { z } from 'zod'
import type { ArtifactStoreV1 } from './artifact-store.js'
import type { ComponentType } from './component-types.js'
import type { ExperimentTrackerV1 } from './experiment-tracker.js'
import type { Logger } from './logger.js'
import type { OrchestratorV1 } from './orchestrator.js'
import type {
  AlerterV1,
  AnnotatorV1,
  ContainerRegistryV1,
  DataValidatorV1,
  DeployerV1,
  FeatureStoreV1,
  ImageBuilderV1,
  LogStoreV1,
  ModelDeployerV1,
  ModelRegistryV1,
  StepOperatorV1,
} from './placeholder-components.js'
import type { StackView } from './stack.js'

/** The interface a flavor's `create()` returns, per component type. */
export interface ComponentInterfaces {
  orchestrator: OrchestratorV1
  artifact_store: ArtifactStoreV1
  container_registry: ContainerRegistryV1
  image_builder: ImageBuilderV1
  step_operator: StepOperatorV1
  experiment_tracker: ExperimentTrackerV1
  model_registry: ModelRegistryV1
  model_deployer: ModelDeployerV1
  alerter: AlerterV1
  annotator: AnnotatorV1
  data_validator: DataValidatorV1
  feature_store: FeatureStoreV1
  log_store: LogStoreV1
  deployer: DeployerV1
}

/** Interface versions this copy of Strata can host, per component type. */
export const SUPPORTED_API_VERSIONS: {
  readonly [T in ComponentType]: readonly ComponentInterfaces[T]['apiVersion'][]
} = {
  orchestrator: [1],
  artifact_store: [1],
  container_registry: [1],
  image_builder: [1],
  step_operator: [1],
  experiment_tracker: [1],
  model_registry: [1],
  model_deployer: [1],
  alerter: [1],
  annotator: [1],
  data_validator: [1],
  feature_store: [1],
  log_store: [1],
  deployer: [1],
}

/** What `create()` receives besides its config. */
export interface FlavorContext {
  /** The component's registered name. */
  componentName: string
  /** The component's id, stable across renames. */
  componentId: string
  /** A directory on this machine the component may keep state in (`<config dir>/local_stores/<id>`). */
  dataDir: string
  logger: Logger
}

/** A problem a stack validator found. */
export interface StackIssue {
  /** The component the problem is about, when there is one. */
  component?: string
  /** What is wrong and how to fix it. */
  message: string
}

export type ConfigSchema = z.ZodObject

/** A flavor: one implementation of a component type. Plain data until `create()` is called. */
export interface FlavorDefinition<
  TType extends ComponentType = ComponentType,
  TConfig extends ConfigSchema = ConfigSchema,
  TSettings extends ConfigSchema | undefined = ConfigSchema | undefined,
> {
  /** The interface version `create()` implements: a literal, checked by the host before anything runs. */
  apiVersion: ComponentInterfaces[TType]['apiVersion']
  type: TType
  /** Lower-case, e.g. `s3`; unique per type. */
  name: string
  /** One line, shown by `flavor list`. */
  description: string
  /** The component's configuration. Mark secret fields with `secret()`. */
  config: TConfig
  /** The subset a pipeline or step may override, under the key `<type>.<name>`. */
  settings?: TSettings
  /**
   * Runs or stores on this machine (a local artifact store, a local orchestrator).
   * @default false
   */
  isLocal?: boolean
  /**
   * Runs or stores away from this machine, so it cannot use local components (a Kubernetes orchestrator).
   * @default false
   */
  isRemote?: boolean
  /**
   * For a remote flavor: whether this component runs on this machine after all (a Kubernetes cluster
   * here), so that stack validation lets it use local components.
   */
  runsOnThisMachine?(config: z.output<TConfig>): boolean
  /** Checks the rest of the stack; one issue per problem, each saying how to fix it. */
  validateStack?(stack: StackView): StackIssue[]
  /**
   * Builds the implementation. Import heavy SDKs here (`await import(...)`), never at module top level,
   * so that listing and describing flavors stays fast. (Method syntax keeps flavors with narrower configs
   * assignable to {@link AnyFlavor}.)
   */
  create(config: z.output<TConfig>, context: FlavorContext): Promise<ComponentInterfaces[TType]>
  /**
   * The module, relative to the plugin's entry (e.g. `'./memory-store-create.js'`), whose default export is
   * this very `create` and which imports no zod. Read-only commands that need an artifact store
   * (`strata pipeline runs logs`, `strata artifact describe`) then build the component from it without
   * importing the plugin, so without loading zod: with the stored config, its secrets resolved and the
   * JSON Schema's top-level defaults filled in, but not parsed by `config`. Declare it only when `create`
   * needs nothing more (no transforms, no nested defaults). `strata-flavor-schemas` checks that the module's
   * default export is `create` and writes it into the manifest. Without it, those commands import the
   * plugin and build the whole stack, as every other command does.
   */
  createModule?: string
}

/** Any flavor, whatever its type and schemas. */
export type AnyFlavor = {
  [T in ComponentType]: FlavorDefinition<T, ConfigSchema, ConfigSchema | undefined>
}[ComponentType]

/** Declares a flavor. An identity function: it exists to infer and check the types. */
export function defineFlavor<
  TType extends ComponentType,
  TConfig extends ConfigSchema,
  TSettings extends ConfigSchema | undefined = undefined,
>(flavor: FlavorDefinition<TType, TConfig, TSettings>): FlavorDefinition<TType, TConfig, TSettings> {
  return flavor
}

/** A plugin: one npm package's flavors. Its module's default export. */
export interface PluginDefinition {
  /** The npm package name, e.g. `@strata/s3`. */
  name: string
  flavors: readonly AnyFlavor[]
}

/** Declares a plugin. An identity function: it exists to check the types. */
export function definePlugin<const TPlugin extends PluginDefinition>(plugin: TPlugin): TPlugin {
  return plugin
}

/** `artifact_store/s3` */
export function flavorId(type: ComponentType, name: string): string {
  return `${type}/${name}`
}
