import type { JsonSchema } from '@strata/core'
import {
  type CustomFlavorRecord,
  type DiscoveryResult,
  discoverFlavors,
} from '../discovery/discover-flavors.js'
import { loadStrataConfig } from '../discovery/strata-config.js'
import type { StrataWorkspace } from './stack-state.js'

/** The custom flavors recorded in the store, as discovery takes them. */
export function customFlavorRecords(workspace: StrataWorkspace): CustomFlavorRecord[] {
  return workspace.repositories.flavors.list().map((flavor) => ({
    type: flavor.type,
    name: flavor.name,
    apiVersion: flavor.apiVersion,
    description: flavor.description,
    isLocal: flavor.isLocal,
    isRemote: flavor.isRemote,
    module: flavor.module,
    configSchema: flavor.configSchema as JsonSchema,
    ...(flavor.settingsSchema ? { settingsSchema: flavor.settingsSchema as JsonSchema } : {}),
  }))
}

/**
 * Every flavor this workspace can use, without importing plugin code: built-ins, the project's plugin
 * dependencies, `strata.config.*` plugins and the store's custom flavors.
 * @throws StrataError `INVALID_STRATA_CONFIG` for a config file that cannot be loaded
 */
export async function discoverWorkspaceFlavors(workspace: StrataWorkspace): Promise<DiscoveryResult> {
  const root = workspace.projectRoot
  const loaded = root === undefined ? undefined : await loadStrataConfig(root)
  return discoverFlavors({
    ...(root === undefined ? {} : { projectRoot: root }),
    ...(loaded?.config.plugins ? { configPlugins: loaded.config.plugins } : {}),
    customFlavors: customFlavorRecords(workspace),
  })
}
