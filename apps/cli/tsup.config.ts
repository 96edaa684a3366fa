import { defineConfig } from 'tsup'

// One small entry; every command group is its own chunk, imported only when that command runs.
export default defineConfig({
  entry: { main: 'src/main.ts' },
  format: ['esm'],
  splitting: true,
  clean: true,
  sourcemap: true,
  target: 'node22',
})
