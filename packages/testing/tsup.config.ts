import { defineConfig } from 'tsup'

export default defineConfig({
  entry: ['src/index.ts', 'src/orchestrator-suite.ts'],
  external: ['@strata/sdk'],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node22',
})
