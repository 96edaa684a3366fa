import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3'
import type { FlavorContext, Logger } from '@strata/core'
import { recordingLogger, testFlavorContext } from '@strata/testing'
import { MOTO_CREDENTIALS } from '@strata/testing/servers'

// The default credential chains must never go looking for cloud metadata servers from a test.
process.env.AWS_EC2_METADATA_DISABLED = 'true'

/** A plain client for test setup (creating buckets, looking behind the store's back). */
export function rawClient(
  endpoint: string,
  credentials: { accessKeyId: string; secretAccessKey: string } = MOTO_CREDENTIALS,
): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  })
}

export async function createBucket(client: S3Client, bucket: string): Promise<void> {
  await client.send(new CreateBucketCommand({ Bucket: bucket }))
}

/** Every key in a bucket (up to 1000), read behind the store's back. */
export async function listKeys(client: S3Client, bucket: string, prefix?: string): Promise<string[]> {
  const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))
  return (page.Contents ?? []).map((object) => object.Key!)
}

/** An object's bytes, read behind the store's back. */
export async function readObject(client: S3Client, bucket: string, key: string): Promise<Uint8Array> {
  const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
  return (await response.Body?.transformToByteArray()) ?? new Uint8Array()
}

/** Writes (or overwrites) an object behind the store's back, as someone tampering with a bucket would. */
export async function writeObject(
  client: S3Client,
  bucket: string,
  key: string,
  body: string | Uint8Array,
): Promise<void> {
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }))
}

/** Deletes an object behind the store's back. */
export async function deleteObject(client: S3Client, bucket: string, key: string): Promise<void> {
  await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }))
}

/** The keys of the bucket's multipart uploads that were started and neither completed nor aborted. */
export async function pendingMultipartUploads(client: S3Client, bucket: string): Promise<string[]> {
  const page = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))
  return (page.Uploads ?? []).map((upload) => upload.Key!)
}

/** The context of a component named `test-s3`, as the tests' messages expect. */
export function flavorContext(logger: Logger = recordingLogger()): FlavorContext {
  return testFlavorContext('test-s3', { logger })
}
