// The top-level command tree. Each entry's module is imported only when that command runs (or its help is
// asked for). Adding a command group is one module exporting `default: GroupSpec | CommandSpec` plus one
// line here; `aliasOf` makes a name a shortcut into another group (`run` → `pipeline runs`).
import type { ComponentType } from '@strata/core/base'
import type { CommandSpec, GroupSpec } from './command.js'
import { COMPONENT_TYPES, componentCliName } from './component-types.js'

export interface CommandEntry {
  name: string
  section: string
  summary: string
  load?: () => Promise<CommandSpec | GroupSpec>
  /** This name is a shortcut for another command path, e.g. `['pipeline', 'runs']`. */
  aliasOf?: string[]
}

const COMPONENT_SUMMARIES: Record<ComponentType, string> = {
  orchestrator: 'Orchestrators run pipelines (local; kubernetes, kubeflow: integrations)',
  artifact_store: 'Artifact stores keep step outputs (local; s3, gcp: integrations)',
  container_registry: 'Container registries hold the images remote steps run in',
  image_builder: 'Image builders build those images',
  step_operator: 'Step operators run single steps on special hardware',
  experiment_tracker: 'Experiment trackers log parameters and metrics (mlflow: an integration)',
  model_registry: 'Model registries version models outside Strata',
  model_deployer: 'Model deployers serve models',
  alerter: 'Alerters send messages from pipelines',
  annotator: 'Annotators label data',
  data_validator: 'Data validators check data quality',
  feature_store: 'Feature stores serve features',
  log_store: 'Log stores keep step logs',
  deployer: 'Deployers serve pipelines as services',
}

const load = <T>(module: Promise<{ default: T }>): Promise<T> => module.then((loaded) => loaded.default)

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'init',
    section: 'Management',
    summary: 'Mark this folder as a Strata project',
    load: () => load(import('./commands/init.js')),
  },
  {
    name: 'status',
    section: 'Management',
    summary: 'Show the store, the project and the active stack',
    load: () => load(import('./commands/status.js')),
  },
  {
    name: 'version',
    section: 'Management',
    summary: 'Show the versions of the CLI, the SDK, core and the installed plugins',
    load: () => load(import('./commands/version.js')),
  },
  {
    name: 'stack',
    section: 'Stacks',
    summary: 'Register, activate, share and validate stacks',
    load: () => load(import('./commands/stack.js')),
  },
  ...COMPONENT_TYPES.map((type) => ({
    name: componentCliName(type),
    section: 'Stack Components',
    summary: COMPONENT_SUMMARIES[type],
    load: () => import('./commands/component.js').then((module) => module.componentGroup(type)),
  })),
  {
    name: 'pipeline',
    section: 'Pipelines',
    summary: 'Run pipelines and browse their runs',
    load: () => load(import('./commands/pipeline.js')),
  },
  {
    name: 'run',
    section: 'Pipelines',
    summary: 'Browse, resume and clean up pipeline runs',
    aliasOf: ['pipeline', 'runs'],
  },
  {
    name: 'artifact',
    section: 'Pipelines',
    summary: 'Browse artifacts and their versions; prune what nothing refers to',
    load: () => load(import('./commands/artifact.js')),
  },
  {
    name: 'step',
    section: 'Pipelines',
    summary: 'Run one step of a run (started by orchestrators)',
    load: () => load(import('./commands/step.js')),
  },
  {
    name: 'model',
    section: 'Models',
    summary: 'The Model Control Plane: models, versions, stages',
    load: () => load(import('./commands/model.js')),
  },
  {
    name: 'secret',
    section: 'Secrets',
    summary: 'Create and manage secrets (values encrypted at rest)',
    load: () => load(import('./commands/secret.js')),
  },
  {
    name: 'store',
    section: 'Management',
    summary: 'Back up, restore and check the metadata store',
    load: () => load(import('./commands/store.js')),
  },
  {
    name: 'integration',
    section: 'Integrations',
    summary: 'List, install and uninstall first-party integrations',
    load: () => load(import('./commands/integration.js')),
  },
]

/** The sections of `strata --help`, in order; a section not listed here comes last. */
export const SECTIONS = [
  'Stacks',
  'Stack Components',
  'Pipelines',
  'Models',
  'Secrets',
  'Integrations',
  'Management',
]
