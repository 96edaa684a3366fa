import { defineConfig } from 'tsup'

export default defineConfig({
  // step-in-bundle is what code bundles import; step-process is what `strata step run` imports.
  entry: ['src/index.ts', 'src/runtime/step-in-bundle.ts', 'src/runtime/step-process.ts'],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node22',
  external: ['esbuild', 'better-sqlite3'],
})
