import type { S3ClientConfig } from '@aws-sdk/client-s3'
import type { S3ArtifactStoreConfig } from './s3-artifact-store-flavor.js'

/**
 * The `S3Client` options a store config stands for. Without credentials, region or endpoint in the
 * config, the SDK's default chains apply (environment, shared config files, instance roles).
 */
export function s3ClientConfig(config: S3ArtifactStoreConfig): S3ClientConfig {
  const custom = config.endpoint !== undefined
  return {
    ...(config.region !== undefined ? { region: config.region } : custom ? { region: 'us-east-1' } : {}),
    ...(custom ? { endpoint: config.endpoint } : {}),
    forcePathStyle: config.forcePathStyle ?? custom,
    ...(config.accessKeyId !== undefined && config.secretAccessKey !== undefined
      ? {
          credentials: {
            accessKeyId: config.accessKeyId,
            secretAccessKey: config.secretAccessKey,
            ...(config.sessionToken === undefined ? {} : { sessionToken: config.sessionToken }),
          },
        }
      : {}),
    maxAttempts: config.maxAttempts,
    // requestTimeoutMs is the socket's idle timeout, so a stalled server fails the call instead of hanging
    // it while a slow but moving transfer goes on. Smithy's own `requestTimeout` would only log a warning
    // (unless `throwOnRequestTimeout`), and counts the whole upload of a part: `socketTimeout` is the idle one.
    requestHandler: { connectionTimeout: config.connectTimeoutMs, socketTimeout: config.requestTimeoutMs },
    // S3-compatible servers often do not understand the SDK's default flexible checksums: a streamed
    // PutObject goes out aws-chunked with a trailing checksum, and servers such as s3rver store the chunk
    // framing as part of the object, reporting success. Send and check checksums only where the API
    // requires them.
    ...(custom
      ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }
      : {}),
    ...(config.clientOptions as Partial<S3ClientConfig> | undefined),
  }
}
