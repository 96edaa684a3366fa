export { type EventuallyOptions, eventually } from './eventually.js'
export type { ImageRuntime } from './image-runtimes.js'
export { IMAGE_BIN_DIR, IMAGE_PATH, nodeImageReferences } from './image-runtimes.js'
export type { NodeAgentHandle } from './node-agent-handle.js'
export { BUILD_HINT, defaultBinDir, ETCD_VERSION, KUBERNETES_VERSION } from './plane-binaries.js'
export { DEFAULT_WORKING_DIR } from './prepare-container.js'
export type { RunningContainerInfo } from './running-container.js'
export {
  type KubernetesTestPlane,
  type KubernetesTestPlaneOptions,
  type KubernetesTestPlaneResult,
  kubernetesTestPlaneUnavailable,
  startKubernetesTestPlane,
} from './start-kubernetes-test-plane.js'
