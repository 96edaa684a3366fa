/** Who a kubeconfig authenticates as, against which API server. */
export interface KubeconfigOptions {
  server: string
  /** PEM of the API server's CA (written as certificate-authority-data: no insecure-skip-tls-verify). */
  ca: string
  token: string
  /** @default 'strata-test-plane' */
  context?: string
  /** The context's default namespace. @default 'default' */
  namespace?: string
  /** The user entry's name. @default 'admin' */
  user?: string
}

/**
 * A kubeconfig document for a bearer token. JSON is YAML, so kubectl, client-go and
 * @kubernetes/client-node read it as written.
 */
export function kubeconfigDocument(options: KubeconfigOptions): string {
  const context = options.context ?? 'strata-test-plane'
  const user = options.user ?? 'admin'
  return `${JSON.stringify(
    {
      apiVersion: 'v1',
      kind: 'Config',
      preferences: {},
      clusters: [
        {
          name: 'strata-test-plane',
          cluster: {
            server: options.server,
            'certificate-authority-data': Buffer.from(options.ca).toString('base64'),
          },
        },
      ],
      users: [{ name: user, user: { token: options.token } }],
      contexts: [
        {
          name: context,
          context: { cluster: 'strata-test-plane', user, namespace: options.namespace ?? 'default' },
        },
      ],
      'current-context': context,
    },
    null,
    2,
  )}\n`
}
