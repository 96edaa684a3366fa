import { registerHooks } from 'node:module'

// Loaded with `node --import` into the node agent process when the test kit runs from source (this
// repository's tests): Node strips the types itself, and this maps the `./x.js` specifiers TypeScript
// wants to the `./x.ts` files that exist. The published build never needs it.
registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context)
    } catch (error) {
      if (!/^\.\.?\//.test(specifier) || !specifier.endsWith('.js')) throw error
      return nextResolve(`${specifier.slice(0, -3)}.ts`, context)
    }
  },
})
