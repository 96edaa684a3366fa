import { StrataError } from '@strata/core'
import { type HttpAnswer, type HttpRequest, httpExchange, setCookies } from './kfp-http.js'

const MAX_REDIRECTS = 10

function cookieHeader(jar: Record<string, string>): string {
  return Object.entries(jar)
    .map(([name, value]) => `${name}=${value}`)
    .join('; ')
}

const hasPasswordField = (answer: HttpAnswer): boolean => /<input[^>]+name="password"/i.test(answer.text)

/**
 * Logs in through the form-login proxy in front of a multi-user Kubeflow (Dex behind oauth2-proxy or
 * the older authservice), as ZenML and the kfp SDK's examples do: follow the API's redirect to the login
 * form (through Dex's connector list to its local connector), post the user's login and password, follow
 * the redirects back and keep the session cookies they set.
 * @returns the `Cookie` header of the session
 * @throws StrataError `KUBEFLOW_UNAUTHORIZED` when there is no login form or the login is refused
 */
export async function formLoginSession(
  baseUrl: string,
  credentials: { username: string; password: string },
  connection: HttpRequest['connection'],
  timeoutMs: number,
): Promise<string> {
  const jar: Record<string, string> = {}
  const what = `log in to ${new URL(baseUrl).origin} as '${credentials.username}'`
  /** A GET with the session's cookies so far, keeping the cookies it sets. */
  const get = async (url: string): Promise<HttpAnswer> => {
    const answer = await httpExchange(
      {
        method: 'GET',
        url,
        headers: { cookie: cookieHeader(jar), accept: 'text/html' },
        connection,
        timeoutMs,
      },
      what,
    )
    Object.assign(jar, setCookies(answer))
    return answer
  }
  const follow = async (start: HttpAnswer, from: string): Promise<{ answer: HttpAnswer; url: string }> => {
    let answer = start
    let url = from
    for (let hop = 0; hop < MAX_REDIRECTS && answer.status >= 300 && answer.status < 400; hop++) {
      url = new URL(String(answer.headers.location ?? ''), url).href
      answer = await get(url)
    }
    return { answer, url }
  }
  let { answer, url } = await follow(await get(baseUrl), baseUrl)
  if (answer.status === 200 && !hasPasswordField(answer)) {
    // Dex's list of connectors: take the local (password) one.
    const local = /href="([^"]*\/auth\/local[^"]*)"/.exec(answer.text)?.[1]
    if (local) {
      url = new URL(local.replaceAll('&amp;', '&'), url).href
      ;({ answer, url } = await follow(await get(url), url))
    }
  }
  if (answer.status !== 200 || !hasPasswordField(answer)) {
    throw new StrataError(
      'KUBEFLOW_UNAUTHORIZED',
      `${what}: ${url} shows no login form (HTTP ${answer.status}) — clientUsername and clientPassword work with a form login (Dex) in front of Kubeflow; for other setups set token`,
    )
  }
  const action = /<form[^>]+action="([^"]*)"/i.exec(answer.text)?.[1]
  const target = action ? new URL(action.replaceAll('&amp;', '&'), url).href : url
  const posted = await httpExchange(
    {
      method: 'POST',
      url: target,
      headers: { cookie: cookieHeader(jar), accept: 'text/html' },
      contentType: 'application/x-www-form-urlencoded',
      body: new URLSearchParams({ login: credentials.username, password: credentials.password }).toString(),
      connection,
      timeoutMs,
    },
    what,
  )
  Object.assign(jar, setCookies(posted))
  const end = await follow(posted, target)
  if (end.answer.status >= 400 || hasPasswordField(end.answer) || Object.keys(jar).length === 0) {
    throw new StrataError(
      'KUBEFLOW_UNAUTHORIZED',
      `${what}: the login was refused (HTTP ${end.answer.status}) — check clientUsername and clientPassword`,
    )
  }
  return cookieHeader(jar)
}
