import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
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

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'strata-sdk-stack-state-'))
  const project = join(root, 'project')
  mkdirSync(project)
  writeFileSync(join(project, 'package.json'), '{"name":"p"}')
  initProject(project)
  workspace = openWorkspace({ cwd: project, configDir: join(root, 'config') })
  settingsFile = projectSettingsPath(project)
})
afterEach(() => {
  workspace.close()
  rmSync(root, { recursive: true, force: true })
})

/** Two stacks on the default stack's components, `ours` the project's active stack. */
function twoStacks(): void {
  const defaults = ensureDefaultStack(workspace.repositories)
  const components = {
    orchestrator: defaults.components.orchestrator!.id,
    artifact_store: defaults.components.artifact_store!.id,
  }
  workspace.repositories.stacks.create({ name: 'ours', components })
  workspace.repositories.stacks.create({ name: 'theirs', components })
  setActiveStack(workspace, 'ours')
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
  it("renames the stack and the project's setting naming it", () => {
    twoStacks()
    renameStack(workspace, 'ours', 'mine')
    expect(JSON.parse(readFileSync(settingsFile, 'utf8'))).toEqual({ activeStack: 'mine' })
    expect(resolveActiveStack(workspace)).toMatchObject({ stack: { name: 'mine' }, source: 'project' })
  })

  it('leaves the store and the settings file as they were when the file cannot be written', () => {
    twoStacks()
    const rows = workspace.store.dump()
    const file = readFileSync(settingsFile)
    const unblock = blockSettingsWrites()
    expect(() => renameStack(workspace, 'ours', 'mine')).toThrow(/EISDIR/)
    unblock()
    expect(workspace.store.dump()).toEqual(rows)
    expect(readFileSync(settingsFile)).toEqual(file)
    expect(resolveActiveStack(workspace)).toMatchObject({ stack: { name: 'ours' }, source: 'project' })
  })

  it('leaves the store as it was when the settings file is unreadable', () => {
    twoStacks()
    writeFileSync(settingsFile, '{"activeStack": ')
    const rows = workspace.store.dump()
    expect(() => renameStack(workspace, 'ours', 'mine')).toThrow(
      /^cannot read .*config\.json: .* — fix the JSON, or delete the file and run 'strata stack set NAME'$/,
    )
    expect(workspace.store.dump()).toEqual(rows)
    expect(workspace.repositories.stacks.find('ours')).toBeDefined()
    expect(workspace.repositories.stacks.find('mine')).toBeUndefined()
  })
})

describe('setActiveStack', () => {
  it('creates nothing (not even the default stack) when the settings file cannot be written', () => {
    const rows = workspace.store.dump()
    const file = readFileSync(settingsFile)
    const unblock = blockSettingsWrites()
    expect(() => setActiveStack(workspace, 'default')).toThrow(/EISDIR/)
    unblock()
    expect(workspace.store.dump()).toEqual(rows)
    expect(workspace.repositories.stacks.find('default')).toBeUndefined()
    expect(readFileSync(settingsFile)).toEqual(file)
  })

  it('creates nothing when the stack does not exist, or the scope is wrong', () => {
    const rows = workspace.store.dump()
    expect(() => setActiveStack(workspace, 'nope')).toThrow("no stack named 'nope'")
    expect(workspace.store.dump()).toEqual(rows)
    rmSync(join(workspace.projectRoot!, '.strata'), { recursive: true })
    expect(() => setActiveStack(workspace, 'default', { scope: 'project' })).toThrow(
      "run 'strata init' in the project root first",
    )
    expect(workspace.store.dump()).toEqual(rows)
    expect(existsSync(settingsFile)).toBe(false)
  })

  it("sets the user's active stack in the store and the project's in its file", () => {
    twoStacks()
    expect(setActiveStack(workspace, 'theirs', { scope: 'user' }).source).toBe('user')
    expect(JSON.parse(readFileSync(settingsFile, 'utf8'))).toEqual({ activeStack: 'ours' })
    expect(setActiveStack(workspace, 'theirs').source).toBe('project')
    expect(JSON.parse(readFileSync(settingsFile, 'utf8'))).toEqual({ activeStack: 'theirs' })
  })
})
