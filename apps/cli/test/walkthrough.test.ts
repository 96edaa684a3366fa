import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createSandbox, ok, registerDemoStack, type Sandbox } from './helpers.js'

let sandbox: Sandbox
beforeEach(() => {
  sandbox = createSandbox()
})
afterEach(() => sandbox.cleanup())

describe('a new user, end to end', () => {
  it('registers, activates, describes, exports, deletes and re-imports a stack, and gets the same stack back', async () => {
    await registerDemoStack(sandbox)
    expect(existsSync(join(sandbox.project, '.strata/config.json'))).toBe(true)
    expect(JSON.parse(readFileSync(join(sandbox.project, '.strata/config.json'), 'utf8'))).toEqual({
      activeStack: 'demo',
    })

    const described = (await ok(sandbox, ['stack', 'describe'])).stdout
    expect(described).toBe(
      [
        "Stack 'demo' (active)",
        'COMPONENT_TYPE  COMPONENT_NAME  FLAVOR',
        'ORCHESTRATOR    inline          inline',
        'ARTIFACT_STORE  demo-store      demo',
        '',
      ].join('\n'),
    )
    expect((await ok(sandbox, ['stack', 'get'])).stdout).toBe('demo\n')
    expect((await ok(sandbox, ['artifact-store', 'get'])).stdout).toBe('demo-store\n')
    const store = (await ok(sandbox, ['artifact-store', 'describe', 'demo-store'])).stdout
    expect(store).toContain('token      {{demo_creds.token}}')
    expect(store).toContain('PLUGIN  @fixture/strata-demo@1.2.3')

    const validated = await ok(sandbox, ['stack', 'validate'])
    expect(validated.stderr).toContain("artifact store 'demo-store': reachable")
    expect(validated.stderr).toContain("Stack 'demo' is valid.")

    await ok(sandbox, ['stack', 'export', 'demo', 'demo.yaml'])
    const exported = readFileSync(join(sandbox.project, 'demo.yaml'), 'utf8')
    expect(exported).toContain('stack_name: demo')
    expect(exported).toContain('token: "{{demo_creds.token}}"')
    expect(exported).not.toContain('s3cr3t-value')

    // The active stack cannot be deleted: activate another first.
    await ok(sandbox, ['stack', 'set', 'default'])
    await ok(sandbox, ['stack', 'delete', 'demo', '-y'])
    expect((await ok(sandbox, ['stack', 'list'])).stdout).not.toContain('demo ')

    const first = await ok(sandbox, ['stack', 'import', 'demo.yaml'])
    expect(first.stderr).toContain("Imported stack 'demo'")
    const afterFirst = sandbox.dump()
    const second = await ok(sandbox, ['stack', 'import', 'demo.yaml'])
    expect(second.stderr).toContain("Stack 'demo' is already imported; nothing changed.")
    expect(sandbox.dump()).toEqual(afterFirst)

    await ok(sandbox, ['stack', 'set', 'demo'])
    expect((await ok(sandbox, ['stack', 'describe'])).stdout).toBe(described)
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
