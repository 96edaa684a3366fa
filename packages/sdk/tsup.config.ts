import { defineConfig } from 'tsup'

export default defineConfig({
  // step-in-bundle is what code bundles import; step-process is what `strata step run` imports;
  // stack-state is the zod-free subset fast CLI commands use.
  entry: {
    index: 'src/index.ts',
    internal: 'src/internal.ts',
    'stack-state': 'src/stacks/stack-state-entry.ts',
    'process/step-in-bundle': 'src/process/step-in-bundle.ts',
    'process/step-process': 'src/process/step-process.ts',
    'process/runtime-main': 'src/process/runtime-main.ts',
  },
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node22',
  external: ['esbuild'],
})
