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
