// Everything a command module needs from the CLI, in one module. Command modules import only this (and
// packages), so esbuild bundles all the helpers into one chunk shared with the entry, instead of one chunk
// per helper: every file a command loads costs start-up time.
export { normalizeOptionName } from './argv.js'
export * from './command.js'
export * from './commands/shared.js'
export * from './config-values.js'
export type { CommandContext } from './context.js'
export * from './output/format.js'
export { MASK } from './output/mask.js'
export * from './output/table.js'
export { COMPONENT_TYPES, componentCliName, REQUIRED_COMPONENT_TYPES } from './registry.js'
