// A user's project and stack for runs on the Kubernetes test plane: @strata/kubernetes and @strata/s3
// installed (linked, as `pnpm add` would), an S3 bucket on moto, the namespace with the documented Roles.
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { KubernetesObjectApi, loadAllYaml } from '@kubernetes/client-node'
import type { KubernetesTestPlane } from '@strata/testing/kubernetes'

const PLUGIN_DIR = resolve(import.meta.dirname, '..')

/** Makes a project folder inside this package (so @strata/sdk and zod resolve), with the two plugins linked. */
export function createProject(name: string, files: Record<string, string>): string {
  const project = join(PLUGIN_DIR, '.tmp', `${name}-${process.pid}`)
  rmSync(project, { recursive: true, force: true })
  mkdirSync(join(project, 'node_modules', '@strata'), { recursive: true })
  symlinkSync(PLUGIN_DIR, join(project, 'node_modules', '@strata', 'kubernetes'))
  symlinkSync(resolve(PLUGIN_DIR, '../s3'), join(project, 'node_modules', '@strata', 's3'))
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({
      name,
      type: 'module',
      dependencies: { '@strata/kubernetes': '*', '@strata/s3': '*' },
    }),
  )
  for (const [file, text] of Object.entries(files)) writeFileSync(join(project, file), text)
  return project
}

/**
 * Applies manifests/rbac.yaml in `namespace` (the Roles and service accounts docs/kubernetes.md ships), and
 * binds the client Role to `clientServiceAccount` when given.
 */
export async function applyRbac(
  plane: KubernetesTestPlane,
  namespace: string,
  clientServiceAccount?: string,
): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(plane.kubeConfig())
  const documents = loadAllYaml(readFileSync(join(PLUGIN_DIR, 'manifests', 'rbac.yaml'), 'utf8')) as Array<{
    metadata: { namespace?: string }
    subjects?: Array<{ namespace?: string }>
  }>
  for (const document of documents) {
    document.metadata.namespace = namespace
    for (const subject of document.subjects ?? []) subject.namespace = namespace
    await api.create(document as never)
  }
  if (!clientServiceAccount) return
  await api.create({
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: clientServiceAccount, namespace },
  } as never)
  await api.create({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: `${clientServiceAccount}-client`, namespace },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'strata-client' },
    subjects: [{ kind: 'ServiceAccount', name: clientServiceAccount, namespace }],
  } as never)
}
