import { defineConfig } from 'tsup'

export default defineConfig({
  // Named entries: code that finds a sibling file by URL (the node agent's entry) sits flat in dist/.
  // capture-output is loaded by path (node --import) into step processes, never imported; so is the node
  // agent's entry, forked by @strata/testing/kubernetes.
  entry: {
    index: 'src/index.ts',
    'orchestrator-suite': 'src/orchestrator-suite.ts',
    // The suites' pipelines, each in a module of its own: a step process bundles the module that defines
    // its step, and the suite's module imports vitest, which a step process cannot resolve.
    'orchestrator-fixtures': 'src/orchestrator-fixtures.ts',
    'store-pipeline-fixtures': 'src/store-pipeline-fixtures.ts',
    'capture-output': 'src/capture-output.ts',
    kubernetes: 'src/kubernetes/index.ts',
    kubeflow: 'src/kubeflow/index.ts',
    'kubernetes-node-agent': 'src/kubernetes/node-agent-main.ts',
    servers: 'src/servers/index.ts',
    // Run by path (node --openssl-legacy-provider <launcher>) by @strata/testing/servers' spawnS3rver.
    's3rver-launcher': 'src/servers/s3rver-launcher.js',
  },
  external: ['@strata/sdk'],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node22',
})
