export {
  BUILTIN_PLUGINS,
  type CustomFlavorRecord,
  type DiscoverFlavorsOptions,
  type DiscoveryResult,
  discoverFlavors,
  findPackageDir,
} from './discovery/discover-flavors.js'
export {
  type FlavorManifest,
  type PackageJson,
  type PluginManifest,
  parsePluginManifest,
} from './discovery/plugin-manifest.js'
export { findProjectRoot } from './discovery/project-root.js'
export {
  defineConfig,
  findStrataConfig,
  loadStrataConfig,
  STRATA_CONFIG_FILES,
  type StrataConfig,
} from './discovery/strata-config.js'
export * from './stacks/index.js'
