/** What shows in place of a secret value (the same as `@strata/core`'s MASK, without loading core). */
export const MASK = '********'
