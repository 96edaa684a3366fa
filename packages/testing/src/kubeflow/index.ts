// Kubeflow Pipelines for tests: the real kfp SDK judging compiled pipelines, a KFP API contract server,
// and a test-only stand-in for KFP's backend that runs a compiled pipeline's containers on the
// Kubernetes test plane.

export { type KfpTestBackend, serveKfpRunsOnPlane } from './kfp-backend.js'
export {
  type KfpContractRun,
  type KfpContractServer,
  type KfpContractServerOptions,
  startKfpContractServer,
} from './kfp-contract-server.js'
export {
  type KfpPlaneRunOptions,
  type KfpPlaneRunResult,
  type KfpPlaneTask,
  runKfpPipelineOnPlane,
} from './kfp-plane-runner.js'
export {
  judgeKfpPipeline,
  KFP_INSTALL_HINT,
  type KfpJudgement,
  type KfpPipelineDocuments,
  kfpGolden,
  kfpPython,
  kfpUnavailable,
} from './kfp-sdk.js'
