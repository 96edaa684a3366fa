import { type DiscoveryResult, discoverFlavors } from '../discovery/discover-flavors.js'
import { loadStrataConfig } from '../discovery/strata-config.js'
import type { StrataWorkspace } from './stack-state.js'

/**
 * Every flavor this workspace can use, without importing plugin code: built-ins, the project's plugin
 * dependencies, `strata.config.*` plugins and the store's custom flavors. Loads zod only for plugin objects
 * in `strata.config.*` (whose import has loaded it already).
 * @throws StrataError `INVALID_STRATA_CONFIG` for a config file that cannot be loaded
 */
export async function discoverWorkspaceFlavors(workspace: StrataWorkspace): Promise<DiscoveryResult> {
  const root = workspace.projectRoot
  const [loaded, customFlavors] = await Promise.all([
    root === undefined ? undefined : loadStrataConfig(root),
    workspace.store.flavors.list(),
  ])
  const plugins = loaded?.config.plugins
  const registry = plugins?.some((plugin) => typeof plugin !== 'string')
    ? new (await import('@strata/core')).FlavorRegistry()
    : undefined
  return discoverFlavors({
    ...(root === undefined ? {} : { projectRoot: root }),
    ...(plugins ? { configPlugins: plugins } : {}),
    ...(registry ? { registry } : {}),
    customFlavors,
  })
}
