import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createSandbox, ok, registerDemoStack, type Sandbox } from './helpers.js'

let sandbox: Sandbox
beforeEach(() => {
  sandbox = createSandbox()
})
afterEach(() => sandbox.cleanup())

describe('a new user, end to end, with the real S3 plugin', () => {
  // Never sent anywhere: this walk-through does not run pipelines, so no S3 server is needed.
  const accessKeyId = 'AKIAWALKTHROUGH0001'
  const secretAccessKey = 'wJalrXUtnFEMI-walkthrough-secret'

  it('registers an S3 artifact store with secret references, stacks, activates, describes, exports, deletes and re-imports it twice, and gets the same stack back', async () => {
    const s3 = createSandbox({ plugins: ['s3'] })
    try {
      await ok(s3, ['init'])
      expect((await ok(s3, ['artifact-store', 'flavor', 'list'])).stdout).toMatch(
        /^s3\s+@strata\/s3@\S+\s+remote\s+installed\s+Amazon S3 and S3-compatible object stores$/m,
      )
      await ok(s3, [
        'secret',
        'create',
        'aws',
        `--access_key_id=${accessKeyId}`,
        `--secret_access_key=${secretAccessKey}`,
      ])
      const registered = await ok(s3, [
        'artifact-store',
        'register',
        's3-store',
        '--flavor',
        's3',
        '--path',
        's3://strata-walkthrough/artifacts',
        '--region=eu-west-1',
        '--access-key-id={{aws.access_key_id}}',
        '--secret-access-key={{aws.secret_access_key}}',
        '--max_attempts=5',
      ])
      expect(registered.stderr).toMatch(
        /Registered artifact store 's3-store' \(flavor s3 from @strata\/s3@\S+\)\./,
      )
      const store = JSON.parse(
        (await ok(s3, ['artifact-store', 'describe', 's3-store', '--output=json'])).stdout,
      )
      expect(store).toMatchObject({
        name: 's3-store',
        flavor: 's3',
        plugin: expect.stringMatching(/^@strata\/s3@/),
        config: {
          path: 's3://strata-walkthrough/artifacts',
          region: 'eu-west-1',
          accessKeyId: '{{aws.access_key_id}}',
          secretAccessKey: '{{aws.secret_access_key}}',
          maxAttempts: 5,
        },
      })

      await ok(s3, ['stack', 'register', 'aws', '-o', 'default', '-a', 's3-store', '--set'])
      expect(JSON.parse(readFileSync(join(s3.project, '.strata/config.json'), 'utf8'))).toEqual({
        activeStack: 'aws',
      })
      const described = (await ok(s3, ['stack', 'describe'])).stdout
      expect(described).toBe(
        [
          "Stack 'aws' (active)",
          'COMPONENT_TYPE  COMPONENT_NAME  FLAVOR',
          'ORCHESTRATOR    default         local',
          'ARTIFACT_STORE  s3-store        s3',
          '',
        ].join('\n'),
      )
      const describedJson = (await ok(s3, ['stack', 'describe', 'aws', '--output', 'json'])).stdout
      expect((await ok(s3, ['stack', 'get'])).stdout).toBe('aws\n')
      expect((await ok(s3, ['artifact-store', 'get'])).stdout).toBe('s3-store\n')

      await ok(s3, ['stack', 'export', 'aws', 'aws.yaml'])
      const exported = readFileSync(join(s3.project, 'aws.yaml'), 'utf8')
      expect(exported).toContain('stack_name: aws')
      expect(exported).toMatch(/flavor: s3\n/)
      expect(exported).toContain('secretAccessKey: "{{aws.secret_access_key}}"')
      expect(exported).toContain('accessKeyId: "{{aws.access_key_id}}"')
      expect(exported).not.toContain(secretAccessKey)
      expect(exported).not.toContain(accessKeyId)

      // The active stack cannot be deleted: activate another first. -r takes the S3 store with it (the
      // default orchestrator stays: the default stack uses it), so the import must re-create it.
      await ok(s3, ['stack', 'set', 'default'])
      await ok(s3, ['stack', 'delete', 'aws', '-y', '-r'])
      expect((await ok(s3, ['artifact-store', 'list'])).stdout).not.toContain('s3-store')

      const first = await ok(s3, ['stack', 'import', 'aws.yaml'])
      expect(first.stderr).toContain("Imported stack 'aws' with new components artifact_store/s3-store.")
      const afterFirst = s3.dump()
      const second = await ok(s3, ['stack', 'import', 'aws.yaml'])
      expect(second.stderr).toContain("Stack 'aws' is already imported; nothing changed.")
      expect(s3.dump()).toEqual(afterFirst)

      await ok(s3, ['stack', 'set', 'aws'])
      expect((await ok(s3, ['stack', 'describe'])).stdout).toBe(described)
      const again = JSON.parse((await ok(s3, ['stack', 'describe', 'aws', '--output', 'json'])).stdout)
      const before = JSON.parse(describedJson)
      // The same stack and configuration; only the re-created rows' ids and times are new.
      const shape = (data: typeof before) => ({
        name: data.name,
        active: data.active,
        components: Object.fromEntries(
          Object.entries(data.components as Record<string, Record<string, unknown>>).map(
            ([type, component]) => [
              type,
              {
                name: component.name,
                flavor: component.flavor,
                plugin: component.plugin,
                config: component.config,
              },
            ],
          ),
        ),
      })
      expect(shape(again)).toEqual(shape(before))
      expect(JSON.stringify(s3.dump())).not.toContain(secretAccessKey)
    } finally {
      s3.cleanup()
    }
  })

  it('accepts a remote orchestrator with the S3 store, which it refuses with a local one', async () => {
    const s3 = createSandbox({ plugins: ['s3'] })
    try {
      await ok(s3, ['orchestrator', 'flavor', 'register', './remote-orchestrator.mjs'])
      await ok(s3, ['orchestrator', 'register', 'cluster', '--flavor', 'cluster'])
      await ok(s3, ['artifact-store', 'register', 's3-store', '--flavor', 's3', '--path=s3://bucket'])
      const refused = await s3.strata(['stack', 'register', 'k8s', '-o', 'cluster', '-a', 'default'])
      expect(refused.code).toBe(1)
      expect(refused.stderr).toContain("artifact store 'default' (local) is local to this machine")
      await ok(s3, ['stack', 'register', 'k8s', '-o', 'cluster', '-a', 's3-store'])
      expect((await ok(s3, ['stack', 'describe', 'k8s'])).stdout).toContain(
        'ARTIFACT_STORE  s3-store        s3',
      )
      const update = await s3.strata(['stack', 'update', 'k8s', '-a', 'default'])
      expect(update.code).toBe(1)
      expect(update.stderr).toMatch(/^Error: stack 'k8s' is invalid: .* — use a remote artifact store/m)
    } finally {
      s3.cleanup()
    }
  })
})

describe('a new user, end to end, with a third-party plugin (the demo fixture) and a custom flavor', () => {
  it('registers, activates, validates and describes a stack of a custom orchestrator and a plugin store', async () => {
    await registerDemoStack(sandbox)
    expect(JSON.parse(readFileSync(join(sandbox.project, '.strata/config.json'), 'utf8'))).toEqual({
      activeStack: 'demo',
    })
    expect((await ok(sandbox, ['stack', 'describe'])).stdout).toBe(
      [
        "Stack 'demo' (active)",
        'COMPONENT_TYPE  COMPONENT_NAME  FLAVOR',
        'ORCHESTRATOR    inline          inline',
        'ARTIFACT_STORE  demo-store      demo',
        '',
      ].join('\n'),
    )
    const store = (await ok(sandbox, ['artifact-store', 'describe', 'demo-store'])).stdout
    expect(store).toContain('token      {{demo_creds.token}}')
    expect(store).toContain('PLUGIN  @fixture/strata-demo@1.2.3')

    // validate builds each component and calls its verify() (the host lists the demo store's root).
    const validated = await ok(sandbox, ['stack', 'validate'])
    expect(validated.stderr).toContain("artifact store 'demo-store': reachable")
    expect(validated.stderr).toContain("Stack 'demo' is valid.")
  })

  it('re-creates deleted components on import, and a second import changes nothing', async () => {
    await registerDemoStack(sandbox)
    await ok(sandbox, ['stack', 'export', 'demo', '-'])
    const yaml = (await ok(sandbox, ['stack', 'export', 'demo', '-'])).stdout
    await ok(sandbox, ['stack', 'set', 'default'])
    await ok(sandbox, ['stack', 'delete', 'demo', '--yes', '--recursive'])
    expect((await ok(sandbox, ['artifact-store', 'list'])).stdout).not.toContain('demo-store')
    const { writeFileSync } = await import('node:fs')
    writeFileSync(join(sandbox.project, 'again.yaml'), yaml)
    const imported = await ok(sandbox, ['stack', 'import', 'copy', '-f', 'again.yaml'])
    expect(imported.stderr).toContain('with new components orchestrator/inline, artifact_store/demo-store')
    const dump = sandbox.dump()
    await ok(sandbox, ['stack', 'import', 'copy', '-f', 'again.yaml'])
    expect(sandbox.dump()).toEqual(dump)
    expect((await ok(sandbox, ['stack', 'describe', 'copy'])).stdout).toContain(
      'ARTIFACT_STORE  demo-store      demo',
    )
  })

  it('lists as tables, JSON and YAML, paged and sorted', async () => {
    await registerDemoStack(sandbox)
    for (const name of ['b', 'c']) await ok(sandbox, ['stack', 'copy', 'demo', name])
    const table = (await ok(sandbox, ['stack', 'list'])).stdout.split('\n')
    expect(table[0]).toMatch(/^ACTIVE\s+STACK NAME\s+STACK ID\s+ORCHESTRATOR\s+ARTIFACT_STORE$/)
    expect(table.slice(1, 5).map((line) => line.trim().split(/\s+/)[line.startsWith('●') ? 1 : 0])).toEqual([
      'b',
      'c',
      'default',
      'demo',
    ])
    expect(table.find((line) => line.startsWith('●'))).toMatch(/^●\s+demo\s/)

    const page = JSON.parse(
      (
        await ok(sandbox, [
          'stack',
          'list',
          '--output',
          'json',
          '--size',
          '2',
          '--page',
          '2',
          '--sort',
          '-name',
        ])
      ).stdout,
    )
    expect(page.items.map((stack: { name: string }) => stack.name)).toEqual(['c', 'b'])
    expect(page.pagination).toEqual({ page: 2, size: 2, totalPages: 2, total: 4 })
    expect(page.items[0].components.artifact_store).toMatchObject({
      name: 'demo-store',
      config: { token: '{{demo_creds.token}}' },
    })

    const paged = await ok(sandbox, ['stack', 'list', '--size', '3'])
    expect(paged.stderr).toContain('Page 1 of 2 (4 stacks)')
    const yaml = (await ok(sandbox, ['artifact-store', 'list', '--output', 'yaml'])).stdout
    expect(yaml).toContain('- id: ')
    expect(yaml).toContain('flavor: demo')
    const secrets = JSON.parse((await ok(sandbox, ['secret', 'list', '--output=json'])).stdout)
    expect(secrets.items).toMatchObject([{ name: 'demo_creds', keys: ['token'] }])
    expect((await ok(sandbox, ['stack', 'list'])).stdout).not.toContain(String.fromCharCode(27))
  })

  it('manages components: update, remove-attribute, rename, flavor describe', async () => {
    await registerDemoStack(sandbox)
    await ok(sandbox, ['orchestrator', 'update', 'inline', '--Concurrency=8'])
    expect(
      JSON.parse((await ok(sandbox, ['orchestrator', 'describe', 'inline', '--output', 'json'])).stdout)
        .config,
    ).toEqual({
      queue: 'q1',
      concurrency: 8,
    })
    await ok(sandbox, ['orchestrator', 'remove-attribute', 'inline', 'concurrency'])
    expect(
      JSON.parse((await ok(sandbox, ['orchestrator', 'describe', 'inline', '--output=json'])).stdout).config,
    ).toEqual({ queue: 'q1' })
    await ok(sandbox, ['orchestrator', 'rename', 'inline', 'runner'])
    expect((await ok(sandbox, ['stack', 'describe', 'demo'])).stdout).toContain('ORCHESTRATOR    runner')

    const flavor = (await ok(sandbox, ['orchestrator', 'flavor', 'describe', 'inline'])).stdout
    expect(flavor).toContain("orchestrator flavor 'inline' — Runs steps in this process (test)")
    expect(flavor).toMatch(/FIELD\s+TYPE\s+DEFAULT\s+REQUIRED\s+SECRET\s+DESCRIPTION/)
    expect(flavor).toMatch(/queue\s+string\s+-\s+yes\s+no\s+Which queue to take steps from/)
    expect(flavor).toMatch(/concurrency\s+integer\s+4\s+no\s+no\s+Steps at once/)
    const demo = (await ok(sandbox, ['artifact-store', 'flavor', 'describe', 'demo'])).stdout
    expect(demo).toMatch(/token\s+string\s+-\s+no\s+yes\s+An access token/)
  })

  it('reads values from files with @path', async () => {
    const { writeFileSync } = await import('node:fs')
    await registerDemoStack(sandbox)
    writeFileSync(join(sandbox.project, 'queue.txt'), 'from-a-file\n')
    await ok(sandbox, ['orchestrator', 'update', 'inline', '--queue=@queue.txt'])
    expect(
      JSON.parse((await ok(sandbox, ['orchestrator', 'describe', 'inline', '--output=json'])).stdout).config
        .queue,
    ).toBe('from-a-file')
  })
})
