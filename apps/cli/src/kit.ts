// Everything a command module needs from the CLI, in one module. Command modules import only this (and
// packages), so esbuild bundles all the helpers into one chunk shared with the entry, instead of one chunk
// per helper: every file a command loads costs start-up time.
export * from './command.js'
export * from './component-types.js'
export * from './config-values.js'
export type { CommandContext } from './context.js'
export * from './errors.js'
export * from './output/format.js'
export type { Io } from './output/io.js'
export * from './output/list.js'
export { MASK } from './output/mask.js'
export * from './output/notes.js'
export * from './output/state.js'
export * from './output/table.js'
export * from './output/text.js'
export * from './stacks.js'
