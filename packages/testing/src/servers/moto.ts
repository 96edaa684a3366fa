import {
  freePort,
  spawnServer,
  startTestServer,
  type TestServer,
  type TestServerResult,
} from '../test-server.js'
import { findTool } from './installed-tool.js'

/** moto accepts any credentials unless IAM enforcement is switched on. */
export const MOTO_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' }

const INSTALL_HINT =
  'install it with: bash .ci/setup/s3.sh in Strata\'s repository (moto[server] into .cache/moto-venv), or pip install "moto[server]"'

export interface StartMotoOptions {
  /** Extra environment, e.g. `INITIAL_NO_AUTH_ACTION_COUNT` to switch IAM enforcement on. */
  env?: Record<string, string>
  /** The `moto_server` executable. @default `.cache/moto-venv/bin/moto_server` above the current folder, else `moto_server` on PATH */
  command?: string
}

/** Starts `moto_server` on 127.0.0.1 for a test file, or says why it cannot. */
export async function startMoto(options: StartMotoOptions = {}): Promise<TestServerResult> {
  return startTestServer('moto', INSTALL_HINT, async () => {
    const command = findTool('moto_server', 'moto-venv/bin/moto_server', options.command)
    const port = await freePort()
    return spawnServer({
      command,
      args: ['-H', '127.0.0.1', '-p', String(port)],
      port,
      env: { MOTO_ALLOW_NONEXISTENT_REGION: 'true', ...options.env },
      readyPath: '/moto-api/',
    })
  })
}

export interface AccessKey {
  accessKeyId: string
  secretAccessKey: string
}

export interface MotoWithIam {
  server: TestServer
  /** Allowed everything in S3. */
  admin: AccessKey
  /** A user without any policy: every S3 call is denied. */
  nobody: AccessKey
  /** Temporary credentials of an assumed role allowed everything in S3 (with `temporaryCredentials`). */
  temporary?: AccessKey & { sessionToken: string }
}

const S3_EVERYTHING = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }],
})

/** The text of the first `<tag>` in one of moto's XML answers. */
function xmlField(xml: string, tag: string): string {
  const value = new RegExp(`<${tag}>(.*?)<`).exec(xml)?.[1]
  if (value === undefined) throw new Error(`moto's answer has no <${tag}>: ${xml.slice(0, 1000)}`)
  return value
}

/**
 * moto with IAM enforcement on: requests must be signed by a known key (it checks SigV4 signatures) and
 * allowed by a policy. The first requests (creating two users and their keys; with `temporaryCredentials`,
 * a role and its assumption through STS) are let through.
 */
export async function startMotoWithIam(
  options: { temporaryCredentials?: boolean; command?: string } = {},
): Promise<{ moto?: MotoWithIam; skip?: string }> {
  const setupRequests = options.temporaryCredentials ? 8 : 5
  const { server, skip } = await startMoto({
    env: { INITIAL_NO_AUTH_ACTION_COUNT: String(setupRequests) },
    ...(options.command === undefined ? {} : { command: options.command }),
  })
  if (!server) return { skip: skip ?? 'moto did not start' }
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
  const accessKey = (xml: string): AccessKey => ({
    accessKeyId: xmlField(xml, 'AccessKeyId'),
    secretAccessKey: xmlField(xml, 'SecretAccessKey'),
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
    RoleArn: xmlField(role, 'Arn'),
    RoleSessionName: 'strata-test',
  })
  const temporary = {
    ...accessKey(assumed),
    sessionToken: xmlField(assumed, 'SessionToken'),
  }
  return { moto: { server, admin, nobody, temporary } }
}
