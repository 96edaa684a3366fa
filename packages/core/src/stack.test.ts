import { describe, expect, it } from 'vitest'
import { fixturePlugin } from './fixtures.test-helpers.js'
import { FlavorRegistry, type StackSpec, validateStack } from './index.js'

const registry = new FlavorRegistry()
registry.registerPlugin(fixturePlugin, { version: '1.0.0', kind: 'dependency' })

const inline = { name: 'here', type: 'orchestrator', flavor: 'inline', config: {} } as const
const cluster = { name: 'k8s', type: 'orchestrator', flavor: 'cluster', config: {} } as const
const disk = { name: 'disk', type: 'artifact_store', flavor: 'disk', config: {} } as const
const bucket = {
  name: 'bucket',
  type: 'artifact_store',
  flavor: 'bucket',
  config: { path: 's3://b' },
} as const

async function problems(stack: StackSpec, secrets?: Record<string, Record<string, string>>): Promise<string> {
  try {
    await validateStack(stack, {
      registry,
      ...(secrets ? { secrets: { getSecret: async (name: string) => secrets[name] } } : {}),
    })
    return 'valid'
  } catch (error) {
    return (error as Error).message
  }
}

describe('validateStack', () => {
  it('accepts a local stack and describes it with masked secrets', async () => {
    const view = await validateStack(
      {
        name: 's',
        components: [inline, { ...bucket, config: { path: 's3://b', accessKeyId: 'AKIAXXXX' } }],
      },
      { registry },
    )
    expect(view.components.artifact_store).toMatchObject({ name: 'bucket', isRemote: true })
    expect(view.components.artifact_store?.config.accessKeyId).toBe('********')
  })

  it('requires an artifact store', async () => {
    expect(await problems({ name: 'bare', components: [inline] })).toBe(
      "stack 'bare' is invalid: it has no artifact store — add one with 'strata stack update bare --artifact-store NAME'",
    )
  })

  it('refuses two components of one type', async () => {
    expect(await problems({ name: 's', components: [inline, disk, { ...disk, name: 'disk2' }] })).toContain(
      "it has two artifact stores ('disk' and 'disk2') — keep one",
    )
  })

  it('refuses a remote orchestrator with a local artifact store', async () => {
    expect(await problems({ name: 'prod', components: [cluster, disk] })).toContain(
      "orchestrator 'k8s' (cluster) runs steps remotely, but artifact store 'disk' (disk) is local to this machine",
    )
  })

  it('lets a remote orchestrator that runs on this machine use local components', async () => {
    const here = { ...cluster, config: { here: true } }
    const message = await problems({ name: 'dev', components: [here, disk] })
    expect(message).not.toContain('is local to this machine')
    expect(message).toContain('needs a container registry')
  })

  it("runs each flavor's own validator", async () => {
    expect(await problems({ name: 'prod', components: [cluster, bucket] })).toBe(
      "stack 'prod' is invalid: 'cluster': needs a container registry — add one with --container-registry",
    )
  })

  it('names an unknown flavor and an invalid config', async () => {
    const message = await problems({
      name: 's',
      components: [
        { ...inline, flavor: 'airflow' },
        { ...bucket, config: { path: 'bucket' } },
      ],
    })
    expect(message).toContain("'here': unknown orchestrator flavor 'airflow'")
    expect(message).toContain(
      "'bucket': artifact_store/bucket component 'bucket' config: 'path': must start with s3://",
    )
  })

  it('checks that secret references resolve', async () => {
    const stack = {
      name: 's',
      components: [inline, { ...bucket, config: { path: 's3://b', accessKeyId: '{{aws.id}}' } }],
    }
    expect(await problems(stack, {})).toContain("secret 'aws' referenced as {{aws.id}} does not exist")
    expect(await problems(stack, { aws: { id: 'x' } })).toBe('valid')
  })
})
