import { definePlugin } from '@strata/core'
import { memoryStore } from './memory-store.js'

export { memoryStore }

// The package's main export: discovery reads the "strata" manifest in package.json (written by
// strata-flavor-schemas from this plugin) and imports this module only when the flavor is used.
export default definePlugin({ name: '{{name}}', flavors: [memoryStore] })
