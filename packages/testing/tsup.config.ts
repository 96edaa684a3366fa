import { defineConfig } from 'tsup'

export default defineConfig({
  // capture-output is loaded by path (node --import) into step processes, never imported.
  entry: ['src/index.ts', 'src/orchestrator-suite.ts', 'src/capture-output.ts'],
  external: ['@strata/sdk'],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node22',
})
