export { type ArtifactStoreSuiteOptions, artifactStoreConformance } from './artifact-store-suite.js'
export {
  type FaultProxy,
  type FaultProxyOptions,
  type ProxiedRequest,
  type StalledCall,
  type StalledServer,
  stalledCall,
  startFaultProxy,
  startStalledServer,
} from './fault-proxy.js'
export { collectBytes, patternStream } from './streams.js'
export { recordingLogger, testFlavorContext } from './test-flavor-context.js'
export {
  freePort,
  type SpawnServerOptions,
  spawnServer,
  startTestServer,
  type TestServer,
  type TestServerResult,
} from './test-server.js'
