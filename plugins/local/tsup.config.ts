import { defineConfig } from 'tsup'

export default defineConfig({
  // The create module is an entry of its own: the manifest names it (the flavor's createModule).
  entry: ['src/index.ts', 'src/local-artifact-store-create.ts'],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node22',
})
