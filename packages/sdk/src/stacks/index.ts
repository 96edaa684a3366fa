export {
  type ComponentRecord,
  DEFAULT_STACK_NAME,
  type SecretSummary,
  type StackRecord,
} from '@strata/store'
export {
  type CreateComponentOptions,
  createComponent,
  type PrepareComponentOptions,
  type PreparedComponent,
  pluginOf,
  prepareComponent,
} from './components.js'
export {
  detectPackageManager,
  findIntegration,
  INTEGRATIONS,
  type Integration,
  installedIntegrationVersion,
  integrationOfFlavor,
  type PackageManager,
  packageManagerCommand,
} from './integrations.js'
export {
  initProject,
  isInitializedProject,
  PROJECT_DIR,
  PROJECT_SETTINGS_FILE,
  type ProjectSettings,
  projectSettingsPath,
  readProjectSettings,
  writeProjectSettings,
} from './project-settings.js'
export {
  type MissingSecret,
  missingSecrets,
  type StoreSecretResolverOptions,
  storeSecretResolver,
} from './secret-resolver.js'
export {
  type ComponentVerification,
  instantiateStack,
  type StackComponents,
  type StackInstance,
  stackSpec,
  validateStoredStack,
  verifyStack,
} from './stack-runtime.js'
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
export {
  exportStack,
  importStack,
  parseStackExport,
  readStackFile,
  type StackExport,
  type StackImportResult,
} from './stack-yaml.js'
export { discoverWorkspaceFlavors } from './workspace-flavors.js'
