import { existsSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  CreateBucketCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3'
import type { FlavorContext, Logger } from '@strata/core'
import {
  freePort,
  spawnServer,
  startTestServer,
  type TestServer,
  type TestServerResult,
} from '@strata/testing'

/** The repository root (tests run from any cwd). */
export const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url))
/** Where `.ci/setup/s3.sh` installs moto. */
export const motoServerBin = join(repositoryRoot, '.cache/moto-venv/bin/moto_server')

/** s3rver's built-in account: it checks the access key id (not SigV4 signatures). */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }
/** moto accepts any credentials unless IAM auth is switched on. */
export const MOTO_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' }

// The default credential chains must never go looking for cloud metadata servers from a test.
process.env.AWS_EC2_METADATA_DISABLED = 'true'

/** Starts s3rver (an npm devDependency) on 127.0.0.1, storing objects in `directory` (kept across restarts). */
export async function spawnS3rver(directory: string, port?: number): Promise<TestServer> {
  // A launcher that fixes two s3rver deviations from S3 (listing order, non-atomic PutObject).
  const launcher = fileURLToPath(new URL('./s3rver-launcher.test-helpers.mjs', import.meta.url))
  const chosen = port ?? (await freePort())
  return spawnServer({
    command: process.execPath,
    args: [
      // s3rver's continuation tokens use DES, which OpenSSL 3 only offers through its legacy provider.
      '--openssl-legacy-provider',
      launcher,
      '--directory',
      directory,
      '--address',
      '127.0.0.1',
      '--port',
      String(chosen),
      '--silent',
      '--no-vhost-buckets',
    ],
    port: chosen,
  })
}

export async function startS3rver(directory?: string): Promise<TestServerResult> {
  const dataDir = directory ?? (await mkdtemp(join(tmpdir(), 'strata-s3rver-')))
  return startTestServer('s3rver', "reinstall the workspace's dependencies: pnpm install", () =>
    spawnS3rver(dataDir),
  )
}

/** Starts `moto_server` from `.cache/moto-venv`; `env` may switch on IAM auth (`INITIAL_NO_AUTH_ACTION_COUNT`). */
export async function startMoto(env: Record<string, string> = {}): Promise<TestServerResult> {
  return startTestServer(
    'moto',
    `install it with: bash .ci/setup/s3.sh (puts moto[server] into .cache/moto-venv)`,
    async () => {
      if (!existsSync(motoServerBin)) throw new Error(`${motoServerBin} is missing`)
      const port = await freePort()
      return spawnServer({
        command: motoServerBin,
        args: ['-H', '127.0.0.1', '-p', String(port)],
        port,
        env: { MOTO_ALLOW_NONEXISTENT_REGION: 'true', ...env },
        readyPath: '/moto-api/',
      })
    },
  )
}

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

/** The keys of the bucket's multipart uploads that were started and neither completed nor aborted. */
export async function pendingMultipartUploads(client: S3Client, bucket: string): Promise<string[]> {
  const page = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))
  return (page.Uploads ?? []).map((upload) => upload.Key!)
}

/** A logger that keeps every line, so tests can check that no secret reached it. */
export function capturingLogger(): Logger & { lines: string[] } {
  const lines: string[] = []
  const log =
    (level: string) =>
    (message: string, fields?: Record<string, unknown>): void => {
      lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`)
    }
  return { lines, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') }
}

export function flavorContext(logger: Logger = capturingLogger()): FlavorContext {
  return { componentName: 'test-s3', componentId: 'test', dataDir: tmpdir(), logger }
}

export interface MotoWithIam {
  server: TestServer
  /** Allowed everything in S3. */
  admin: { accessKeyId: string; secretAccessKey: string }
  /** A user without any policy: every S3 call is denied. */
  nobody: { accessKeyId: string; secretAccessKey: string }
  /** Temporary credentials of an assumed role allowed everything in S3 (with `temporaryCredentials`). */
  temporary?: { accessKeyId: string; secretAccessKey: string; sessionToken: string }
}

const S3_EVERYTHING = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }],
})

/**
 * moto with IAM enforcement on: requests must be signed by a known key (it checks SigV4 signatures) and
 * allowed by a policy. The first requests (creating two users and their keys; with `temporaryCredentials`,
 * a role and its assumption through STS) are let through.
 */
export async function startMotoWithIam(
  options: { temporaryCredentials?: boolean } = {},
): Promise<{ moto?: MotoWithIam; skip?: string }> {
  const setupRequests = options.temporaryCredentials ? 8 : 5
  const { server, skip } = await startMoto({ INITIAL_NO_AUTH_ACTION_COUNT: String(setupRequests) })
  if (!server) return { skip: skip! }
  const call = async (service: 'iam' | 'sts', params: Record<string, string>): Promise<string> => {
    const response = await fetch(`${server.url}/`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        // moto routes by the credential scope; unauthenticated requests are not checked further.
        authorization: `AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20250101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=0`,
      },
      body: new URLSearchParams({ Version: service === 'iam' ? '2010-05-08' : '2011-06-15', ...params }),
    })
    const text = await response.text()
    if (!response.ok) throw new Error(`moto ${service} ${params.Action} failed: ${text}`)
    return text
  }
  const iam = (params: Record<string, string>) => call('iam', params)
  const accessKey = (xml: string): { accessKeyId: string; secretAccessKey: string } => ({
    accessKeyId: /<AccessKeyId>(.*?)</.exec(xml)![1]!,
    secretAccessKey: /<SecretAccessKey>(.*?)</.exec(xml)![1]!,
  })
  await iam({ Action: 'CreateUser', UserName: 'admin' })
  const admin = accessKey(await iam({ Action: 'CreateAccessKey', UserName: 'admin' }))
  await iam({
    Action: 'PutUserPolicy',
    UserName: 'admin',
    PolicyName: 's3',
    PolicyDocument: S3_EVERYTHING,
  })
  await iam({ Action: 'CreateUser', UserName: 'nobody' })
  const nobody = accessKey(await iam({ Action: 'CreateAccessKey', UserName: 'nobody' }))
  if (!options.temporaryCredentials) return { moto: { server, admin, nobody } }

  const role = await iam({
    Action: 'CreateRole',
    RoleName: 'artifacts',
    AssumeRolePolicyDocument: JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' }],
    }),
  })
  await iam({
    Action: 'PutRolePolicy',
    RoleName: 'artifacts',
    PolicyName: 's3',
    PolicyDocument: S3_EVERYTHING,
  })
  const assumed = await call('sts', {
    Action: 'AssumeRole',
    RoleArn: /<Arn>(.*?)</.exec(role)![1]!,
    RoleSessionName: 'strata-test',
  })
  const temporary = {
    ...accessKey(assumed),
    sessionToken: /<SessionToken>(.*?)</.exec(assumed)![1]!,
  }
  return { moto: { server, admin, nobody, temporary } }
}
