// node:crypto loads on first use only: opening the store for a read (`strata stack list`) must stay cheap,
// and an ESM import of a built-in builds its facade eagerly.
export const crypto = (): typeof import('node:crypto') => process.getBuiltinModule('node:crypto')
