import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { FlavorCatalog } from '@strata/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { discoverFlavors } from '../discovery/discover-flavors.js'
import { createComponent, prepareComponent } from './components.js'
import { detectPackageManager, packageManagerCommand } from './integrations.js'
import { initProject } from './project-settings.js'
import { storeSecretResolver } from './secret-resolver.js'
import {
  deleteStack,
  ensureDefaultStack,
  openWorkspace,
  renameStack,
  resolveActiveStack,
  type StrataWorkspace,
  setActiveStack,
} from './stack-state.js'
import { exportStack, importStack, parseStackExport, readStackFile } from './stack-yaml.js'

const demoProject = resolve(import.meta.dirname, '../../../../fixtures/demo-project')
let root: string
let workspace: StrataWorkspace
let registry: FlavorCatalog

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'strata-sdk-stacks-'))
  mkdirSync(join(root, 'project'))
  writeFileSync(join(root, 'project/package.json'), '{"name":"p"}')
  workspace = openWorkspace({ cwd: join(root, 'project'), configDir: join(root, 'config') })
  // The built-ins (@strata/local: the default stack's orchestrator and artifact store) and the demo plugin.
  registry = discoverFlavors({ projectRoot: demoProject }).registry
})

afterEach(async () => {
  await workspace.close()
  rmSync(root, { recursive: true, force: true })
})

async function registerDemoStore(name: string, config: Record<string, unknown>) {
  const { missingSecrets, ...component } = await prepareComponent(
    { type: 'artifact_store', name, flavor: 'demo', config },
    { registry, secrets: workspace.store.secrets },
  )
  return { component: await workspace.store.components.create(component), missingSecrets }
}

describe('the active stack', () => {
  it("is the default stack at first, the user's choice outside a project, the project's inside one", async () => {
    expect(await resolveActiveStack(workspace)).toMatchObject({ stack: { name: 'default' }, source: 'user' })
    const def = await ensureDefaultStack(workspace.store)
    const ids = {
      orchestrator: def.components.orchestrator!.id,
      artifact_store: def.components.artifact_store!.id,
    }
    await workspace.store.stacks.create({ name: 'mine', components: ids })
    await workspace.store.stacks.create({ name: 'theirs', components: ids })
    expect((await setActiveStack(workspace, 'mine')).source).toBe('user')
    await expect(setActiveStack(workspace, 'theirs', { scope: 'project' })).rejects.toThrow(
      "run 'strata init' in the project root first",
    )

    initProject(workspace.projectRoot!)
    expect((await setActiveStack(workspace, 'theirs')).source).toBe('project')
    expect(await resolveActiveStack(workspace)).toMatchObject({
      stack: { name: 'theirs' },
      source: 'project',
    })
    await expect(deleteStack(workspace, 'theirs')).rejects.toThrow(
      "stack 'theirs' is this project's active stack and cannot be deleted",
    )
    await renameStack(workspace, 'theirs', 'ours')
    expect(JSON.parse(readFileSync(join(workspace.projectRoot!, '.strata/config.json'), 'utf8'))).toEqual({
      activeStack: 'ours',
    })

    writeFileSync(join(workspace.projectRoot!, '.strata/config.json'), '{"activeStack":"gone"}')
    await expect(resolveActiveStack(workspace)).rejects.toThrow("this project's active stack 'gone'")
  })
})

describe('components', () => {
  it('refuse secret values in clear and report references to secrets that do not exist yet', async () => {
    await expect(registerDemoStore('s', { token: 'plain' })).rejects.toThrow("'token' is a secret field")
    const { missingSecrets } = await registerDemoStore('s', { namespace: 'n', token: '{{creds.token}}' })
    expect(missingSecrets).toEqual([{ secret: 'creds', key: 'token' }])
  })

  it('are built with secrets resolved and a data directory under the config directory', async () => {
    await workspace.store.secrets.create('creds', { token: 't0k3n' })
    const { component } = await registerDemoStore('s', { namespace: 'n', token: '{{creds.token}}' })
    const secrets = storeSecretResolver(workspace.store.secrets)
    const store = await createComponent(
      { ...component, type: 'artifact_store' as const },
      { registry, secrets, configDir: workspace.configDir },
    )
    expect(store.uri).toBe('memory://n')
    const local = (await ensureDefaultStack(workspace.store)).components.artifact_store!
    const localStore = await createComponent(
      { ...local, type: 'artifact_store' as const },
      { registry, secrets, configDir: workspace.configDir },
    )
    expect(localStore.uri).toBe(`file://${join(workspace.configDir, 'local_stores', local.id)}`)
    await workspace.store.secrets.update('creds', { remove: [], set: { other: 'x' } })
    const missing = await workspace.store.components.create({
      ...component,
      name: 't',
      config: { token: '{{nope.token}}' },
    })
    await expect(
      createComponent(missing, { registry, secrets, configDir: workspace.configDir }),
    ).rejects.toThrow("secret 'nope' referenced as {{nope.token}} does not exist")
  })
})

describe('stack export and import', () => {
  it('round-trips a stack as YAML with secret references, idempotently', async () => {
    const def = await ensureDefaultStack(workspace.store)
    const { component } = await registerDemoStore('s', { token: '{{creds.token}}' })
    const stack = await workspace.store.stacks.create({
      name: 'demo',
      components: { orchestrator: def.components.orchestrator!.id, artifact_store: component.id },
    })
    const yaml = exportStack(stack, { registry, strataVersion: '0.1.0' })
    expect(yaml).toContain('token: "{{creds.token}}"')
    const document = parseStackExport(yaml, 'demo.yaml')
    const unchanged = await importStack(workspace, document, { registry })
    expect(unchanged).toMatchObject({ status: 'unchanged', createdComponents: [] })
    const copy = await importStack(workspace, document, { registry, name: 'copy' })
    expect(copy).toMatchObject({
      status: 'created',
      createdComponents: [],
      missingSecrets: [{ secret: 'creds', key: 'token' }],
    })

    await workspace.store.components.update(component.id, { config: { namespace: 'changed' } })
    await expect(importStack(workspace, document, { registry, name: 'third' })).rejects.toThrow(
      "cannot import stack 'third': a different artifact store named 's' already exists",
    )
    expect(() => parseStackExport('stack_name: [x', 'f.yaml')).toThrow(/^cannot import f.yaml: line 1: /)
    expect(() => parseStackExport('stack_name: x\ncomponents:\n  teleporter: {}\n', 'f.yaml')).toThrow(
      'cannot import f.yaml: \'components\': Unrecognized key: "teleporter"',
    )
  })

  it('refuses names holding control characters, and quotes huge ones as a bounded excerpt', () => {
    const file = (stack: string, component: string) =>
      `stack_name: ${JSON.stringify(stack)}\ncomponents:\n  orchestrator: { name: ${JSON.stringify(component)}, flavor: local }\n`
    expect(() => parseStackExport(file('\u001b]0;pwned\u0007', 'o'), 'f.yaml')).toThrow(
      "cannot import f.yaml: 'stack_name': '\\u001b]0;pwned\\u0007' contains the control character \\u001b (at 0) (a name is 1 to 255",
    )
    expect(() => parseStackExport(file('s', 'o\u202e'), 'f.yaml')).toThrow(
      "'components.orchestrator.name': 'o\\u202e' contains the control character \\u202e (at 1)",
    )
    expect(() => parseStackExport(file('', 'o'), 'f.yaml')).toThrow("'stack_name': '' is empty")
    let message = ''
    try {
      parseStackExport(file('s', 'x'.repeat(5_000_000)), 'f.yaml')
    } catch (error) {
      message = (error as Error).message
    }
    expect(message).toMatch(/'x{63}…' \(5000000 characters\) is 5000000 characters long/)
    expect(message.length).toBeLessThan(600)
  })

  it('reads a stack file of at most 1 MiB', () => {
    const path = join(root, 'big.yaml')
    writeFileSync(path, `stack_name: s\n# ${'x'.repeat(1024 * 1024)}\n`)
    expect(() => readStackFile(path)).toThrow(
      expect.objectContaining({
        code: 'INPUT_TOO_LARGE',
        message: expect.stringContaining('is 1048593 bytes, more than the 1 MiB'),
      }),
    )
    expect(() => readStackFile(join(root, 'nowhere.yaml'))).toThrow(
      expect.objectContaining({ code: 'STACK_FILE_NOT_FOUND' }),
    )
  })
})

describe('integrations', () => {
  it("use the project's package manager, found from its lockfile", async () => {
    const project = workspace.projectRoot!
    expect(detectPackageManager(project).manager).toBe('npm')
    writeFileSync(join(project, 'yarn.lock'), '')
    expect(detectPackageManager(project)).toEqual({ manager: 'yarn', root: project })
    expect(packageManagerCommand('pnpm', 'install', ['@strata/s3'], { workspaceRoot: true })).toEqual([
      'pnpm',
      'add',
      '-w',
      '@strata/s3',
    ])
    expect(packageManagerCommand('npm', 'uninstall', ['@strata/s3'])).toEqual([
      'npm',
      'uninstall',
      '@strata/s3',
    ])
  })
})
