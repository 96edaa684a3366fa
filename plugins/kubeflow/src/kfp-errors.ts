import { StrataError } from '@strata/core'
import type { HttpAnswer } from './kfp-http.js'

/** google.rpc.Status codes the KFP API answers with. */
const RPC_CODES: Record<number, string> = {
  3: 'INVALID_ARGUMENT',
  5: 'NOT_FOUND',
  6: 'ALREADY_EXISTS',
  7: 'PERMISSION_DENIED',
  9: 'FAILED_PRECONDITION',
  13: 'INTERNAL',
  14: 'UNAVAILABLE',
  16: 'UNAUTHENTICATED',
}

interface RpcStatus {
  code?: number
  message?: string
  error?: string
}

function rpcStatus(answer: HttpAnswer): RpcStatus | undefined {
  try {
    const parsed = JSON.parse(answer.text) as unknown
    return typeof parsed === 'object' && parsed !== null ? (parsed as RpcStatus) : undefined
  } catch {
    return undefined
  }
}

/** The KFP API's answer is a login page or a redirect to one: an auth proxy (Dex, oauth2-proxy) in front. */
export function isLoginAnswer(answer: HttpAnswer): boolean {
  const type = String(answer.headers['content-type'] ?? '')
  return (
    (answer.status >= 300 && answer.status < 400) || (answer.status === 200 && type.includes('text/html'))
  )
}

/**
 * A failed KFP API call as one line: what failed, what the API said (its google.rpc.Status message), and
 * the fix for the usual causes (credentials, namespace, a missing object).
 */
export function kfpError(
  what: string,
  answer: HttpAnswer,
  where: { host: string; namespace?: string },
): StrataError {
  if (isLoginAnswer(answer)) {
    const location = answer.headers.location ? ` to ${String(answer.headers.location).split('?')[0]}` : ''
    return new StrataError(
      'KUBEFLOW_UNAUTHORIZED',
      `${what}: ${where.host} answered with a login page (HTTP ${answer.status}${location}) instead of the KFP API — set clientUsername and clientPassword (a Dex login) or token on the orchestrator component`,
    )
  }
  const status = rpcStatus(answer)
  const code = status?.code !== undefined ? (RPC_CODES[status.code] ?? `code ${status.code}`) : undefined
  const said =
    (status?.message ?? status?.error ?? answer.text.slice(0, 300)).trim() || `HTTP ${answer.status}`
  const detail = `${said}${code ? ` (${code})` : ''}`
  if (answer.status === 401 || status?.code === 16)
    return new StrataError(
      'KUBEFLOW_UNAUTHORIZED',
      `${what}: the KFP API at ${where.host} refused the credentials: ${detail} — check token, or clientUsername and clientPassword, on the orchestrator component`,
    )
  if (answer.status === 403 || status?.code === 7)
    return new StrataError(
      'KUBEFLOW_FORBIDDEN',
      `${what}: the KFP API at ${where.host} refused it: ${detail} — ${where.namespace ? `this identity may not use namespace '${where.namespace}': set userNamespace to your profile's namespace, or ask its owner to add you as a contributor` : 'a multi-user Kubeflow needs userNamespace (your profile namespace) in the orchestrator settings'}`,
    )
  if (/namespace/i.test(said) && (answer.status === 400 || status?.code === 3))
    return new StrataError(
      'KUBEFLOW_NAMESPACE',
      `${what}: ${detail} — set userNamespace (settings 'orchestrator.kubeflow') to your profile namespace on a multi-user Kubeflow`,
    )
  if (answer.status === 404 || status?.code === 5)
    return new StrataError('KUBEFLOW_NOT_FOUND', `${what}: ${detail}`)
  return new StrataError(
    'KUBEFLOW_API_ERROR',
    `${what}: the KFP API at ${where.host} answered HTTP ${answer.status}: ${detail}`,
  )
}
