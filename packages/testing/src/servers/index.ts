// Real third-party servers for flavor tests, each started on 127.0.0.1 by the test that needs it (see
// `startTestServer`: skipped with the reason when not installed, a failure with `CI=true`).
export { createFakeGcsBucket, spawnFakeGcs, startFakeGcs } from './fake-gcs-server.js'
export { cachedTool, findTool } from './installed-tool.js'
export {
  downloadArtifact,
  type MlflowTestServer,
  mlflowApi,
  runMlflowPython,
  type StartMlflowOptions,
  startMlflowServer,
} from './mlflow-server.js'
export {
  type AccessKey,
  MOTO_CREDENTIALS,
  type MotoWithIam,
  type StartMotoOptions,
  startMoto,
  startMotoWithIam,
} from './moto.js'
export { S3RVER_CREDENTIALS, s3rverLauncher, spawnS3rver, startS3rver } from './s3rver.js'
