import { request as httpRequest } from 'node:http'
import { request as httpsRequest, type RequestOptions } from 'node:https'
import { errorMessage, StrataError } from '@strata/core'

/** One HTTP exchange's answer. */
export interface HttpAnswer {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
}

export interface HttpRequest {
  method: string
  url: string
  headers?: Record<string, string>
  body?: string
  /** @default application/json */
  contentType?: string
  /** TLS and auth options for the connection (a kubeconfig's, a CA file's). */
  connection?: RequestOptions
  timeoutMs: number
}

/**
 * One HTTP request with node's own client (a kubeconfig's client certificates and CA go on the
 * connection, which `fetch` cannot take). Redirects are not followed: a caller that wants them reads
 * `location`.
 * @throws StrataError `KUBEFLOW_UNREACHABLE` when there is no answer (refused, unknown host, timeout)
 */
export function httpExchange(options: HttpRequest, what: string): Promise<HttpAnswer> {
  const url = new URL(options.url)
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise((resolve, reject) => {
    const request = send(
      url,
      {
        ...options.connection,
        method: options.method,
        headers: {
          accept: 'application/json',
          ...options.connection?.headers,
          ...options.headers,
          ...(options.body === undefined
            ? {}
            : {
                'content-type': options.contentType ?? 'application/json',
                'content-length': Buffer.byteLength(options.body),
              }),
        },
        timeout: options.timeoutMs,
      },
      (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        )
        response.on('error', reject)
      },
    )
    request.on('timeout', () =>
      request.destroy(new Error(`no answer within ${Math.round(options.timeoutMs / 1000)} s`)),
    )
    request.on('error', (error) =>
      reject(
        new StrataError(
          'KUBEFLOW_UNREACHABLE',
          `${what}: cannot reach the Kubeflow Pipelines API at ${url.origin} (${errorMessage(error)}) — check kubeflowHostname (the KFP endpoint, e.g. https://kubeflow.example.com/pipeline), or without it that kubernetesContext points at the cluster and the ml-pipeline service runs in kubeflowNamespace`,
          { cause: error },
        ),
      ),
    )
    if (options.body !== undefined) request.write(options.body)
    request.end()
  })
}

/** The cookies a response sets, as `name=value` pairs (attributes dropped). */
export function setCookies(answer: HttpAnswer): Record<string, string> {
  const header = answer.headers['set-cookie']
  const cookies: Record<string, string> = {}
  for (const line of Array.isArray(header) ? header : header ? [header] : []) {
    const [pair = ''] = line.split(';')
    const index = pair.indexOf('=')
    if (index > 0) cookies[pair.slice(0, index).trim()] = pair.slice(index + 1).trim()
  }
  return cookies
}
