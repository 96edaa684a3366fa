// `@strata/sdk/stack-state`: the part of the stacks API that loads neither zod nor plugin code, for
// start-up-critical callers (`strata stack list`, `strata stack set`), the Client, whose reads need only
// the store (`strata pipeline list`, `runs list`, `artifact list`, `model list`), and flavor discovery
// with the first-party integrations (`strata <type> flavor list`, `strata integration list`). Everything
// here is also exported by the main entry (discovery's result type by the internal one).

export {
  type ComponentRecord,
  DEFAULT_STACK_NAME,
  type SecretSummary,
  type StackRecord,
} from '@strata/store'
export { Client } from '../client/client.js'
export type { DiscoveryResult } from '../discovery/discover-flavors.js'
export { findProjectRoot } from '../discovery/project-root.js'
export {
  findIntegration,
  INTEGRATIONS,
  type Integration,
  installedIntegrationVersion,
  integrationOfFlavor,
} from './integrations.js'
export {
  initProject,
  isInitializedProject,
  PROJECT_DIR,
  type ProjectSettings,
  projectSettingsPath,
  readProjectSettings,
} from './project-settings.js'
export { missingSecrets } from './secret-resolver.js'
export {
  type ActiveStack,
  deleteStack,
  ensureDefaultStack,
  type OpenWorkspaceOptions,
  openWorkspace,
  renameStack,
  resolveActiveStack,
  type SetActiveStackOptions,
  type StrataWorkspace,
  setActiveStack,
} from './stack-state.js'
export { discoverWorkspaceFlavors } from './workspace-flavors.js'
