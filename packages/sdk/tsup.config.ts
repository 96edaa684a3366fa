import { defineConfig } from 'tsup'

export default defineConfig({
  entry: { index: 'src/index.ts', 'stack-state': 'src/stacks/stack-state-entry.ts' },
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node22',
})
