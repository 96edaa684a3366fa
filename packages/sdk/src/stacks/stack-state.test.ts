import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { SqliteStore } from '@strata/store'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { initProject, projectSettingsPath } from './project-settings.js'
import {
  ensureDefaultStack,
  openWorkspace,
  renameStack,
  resolveActiveStack,
  type StrataWorkspace,
  setActiveStack,
} from './stack-state.js'

let root: string
let workspace: StrataWorkspace
let settingsFile: string

/** Every row of the store (a SQLite store: the SDK opens one). */
const dump = () => (workspace.store as SqliteStore).dump()

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'strata-sdk-stack-state-'))
  const project = join(root, 'project')
  mkdirSync(project)
  writeFileSync(join(project, 'package.json'), '{"name":"p"}')
  initProject(project)
  workspace = openWorkspace({ cwd: project, configDir: join(root, 'config') })
  settingsFile = projectSettingsPath(project)
})
afterEach(async () => {
  await workspace.close()
  rmSync(root, { recursive: true, force: true })
})

/** Two stacks on the default stack's components, `ours` the project's active stack. */
async function twoStacks(): Promise<void> {
  const defaults = await ensureDefaultStack(workspace.store)
  const components = {
    orchestrator: defaults.components.orchestrator!.id,
    artifact_store: defaults.components.artifact_store!.id,
  }
  await workspace.store.stacks.create({ name: 'ours', components })
  await workspace.store.stacks.create({ name: 'theirs', components })
  await setActiveStack(workspace, 'ours')
}

/**
 * Makes writing the project's settings fail as a full disk or a read-only `.strata/` would: a directory
 * sits where the settings file's temporary copy goes (permissions do not stop root, who runs CI here).
 */
function blockSettingsWrites(): () => void {
  const blocker = `${settingsFile}.${process.pid}.tmp`
  mkdirSync(blocker)
  return () => rmSync(blocker, { recursive: true })
}

describe('renameStack', () => {
  it("renames the stack and the project's setting naming it", async () => {
    await twoStacks()
    await renameStack(workspace, 'ours', 'mine')
    expect(JSON.parse(readFileSync(settingsFile, 'utf8'))).toEqual({ activeStack: 'mine' })
    expect(await resolveActiveStack(workspace)).toMatchObject({ stack: { name: 'mine' }, source: 'project' })
  })

  it('leaves the store and the settings file as they were when the file cannot be written', async () => {
    await twoStacks()
    const rows = dump()
    const file = readFileSync(settingsFile)
    const unblock = blockSettingsWrites()
    await expect(renameStack(workspace, 'ours', 'mine')).rejects.toThrow(/EISDIR/)
    unblock()
    expect(dump()).toEqual(rows)
    expect(readFileSync(settingsFile)).toEqual(file)
    expect(await resolveActiveStack(workspace)).toMatchObject({ stack: { name: 'ours' }, source: 'project' })
  })

  it('leaves the store as it was when the settings file is unreadable', async () => {
    await twoStacks()
    writeFileSync(settingsFile, '{"activeStack": ')
    const rows = dump()
    await expect(renameStack(workspace, 'ours', 'mine')).rejects.toThrow(
      /^cannot read .*config\.json: .* — fix the JSON, or delete the file and run 'strata stack set NAME'$/,
    )
    expect(dump()).toEqual(rows)
    expect(await workspace.store.stacks.find('ours')).toBeDefined()
    expect(await workspace.store.stacks.find('mine')).toBeUndefined()
  })
})

describe('setActiveStack', () => {
  it('creates nothing (not even the default stack) when the settings file cannot be written', async () => {
    const rows = dump()
    const file = readFileSync(settingsFile)
    const unblock = blockSettingsWrites()
    await expect(setActiveStack(workspace, 'default')).rejects.toThrow(/EISDIR/)
    unblock()
    expect(dump()).toEqual(rows)
    expect(await workspace.store.stacks.find('default')).toBeUndefined()
    expect(readFileSync(settingsFile)).toEqual(file)
  })

  it('creates nothing when the stack does not exist, or the scope is wrong', async () => {
    const rows = dump()
    await expect(setActiveStack(workspace, 'nope')).rejects.toThrow("no stack named 'nope'")
    expect(dump()).toEqual(rows)
    rmSync(join(workspace.projectRoot!, '.strata'), { recursive: true })
    await expect(setActiveStack(workspace, 'default', { scope: 'project' })).rejects.toThrow(
      "run 'strata init' in the project root first",
    )
    expect(dump()).toEqual(rows)
    expect(existsSync(settingsFile)).toBe(false)
  })

  it("sets the user's active stack in the store and the project's in its file", async () => {
    await twoStacks()
    expect((await setActiveStack(workspace, 'theirs', { scope: 'user' })).source).toBe('user')
    expect(JSON.parse(readFileSync(settingsFile, 'utf8'))).toEqual({ activeStack: 'ours' })
    expect((await setActiveStack(workspace, 'theirs')).source).toBe('project')
    expect(JSON.parse(readFileSync(settingsFile, 'utf8'))).toEqual({ activeStack: 'theirs' })
  })
})
