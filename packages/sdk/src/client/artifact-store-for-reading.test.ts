import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { discoverFlavors } from '../discovery/discover-flavors.js'
import { prepareComponent } from '../stacks/components.js'
import {
  ensureDefaultStack,
  openWorkspace,
  type StrataWorkspace,
  setActiveStack,
} from '../stacks/stack-state.js'
import { openArtifactStoreForReading } from './artifact-store-for-reading.js'

const demoProject = resolve(import.meta.dirname, '../../../../fixtures/demo-project')
let configDir: string
let workspace: StrataWorkspace

beforeEach(() => {
  configDir = mkdtempSync(join(tmpdir(), 'strata-sdk-reading-store-'))
  // The demo project's dependencies hold the demo plugin, whose store declares no createModule.
  workspace = openWorkspace({ cwd: demoProject, configDir })
})

afterEach(async () => {
  await workspace.close()
  rmSync(configDir, { recursive: true, force: true })
})

describe('openArtifactStoreForReading', () => {
  it("opens the local store from its createModule, where the stack's store keeps its data", async () => {
    const stack = await ensureDefaultStack(workspace.store)
    const id = stack.components.artifact_store!.id
    const store = await openArtifactStoreForReading(workspace)
    expect(store?.uri).toBe(`file://${join(configDir, 'local_stores', id)}`)
    await store!.write('logs/step.log', 'hello\n')
    expect(await store!.readText('logs/step.log')).toBe('hello\n')
    await store!.close()
  })

  it('gives nothing for a flavor without a createModule: the caller builds the stack', async () => {
    const def = await ensureDefaultStack(workspace.store)
    const { registry } = discoverFlavors({ projectRoot: demoProject })
    const { missingSecrets: _, ...component } = await prepareComponent(
      { type: 'artifact_store', name: 'memory', flavor: 'demo', config: {} },
      { registry, secrets: workspace.store.secrets },
    )
    const memory = await workspace.store.components.create(component)
    await workspace.store.stacks.create({
      name: 'demo',
      components: { orchestrator: def.components.orchestrator!.id, artifact_store: memory.id },
    })
    await setActiveStack(workspace, 'demo')
    expect(await openArtifactStoreForReading(workspace)).toBeUndefined()
    // A named stack is read instead of the active one.
    expect((await openArtifactStoreForReading(workspace, { stackName: 'default' }))?.uri).toMatch(/^file:/)
  })
})
