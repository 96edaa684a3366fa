import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { SqliteStore } from '@strata/store'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createSandbox, ok, registerDemoStack, type Sandbox } from './helpers.js'

let sandbox: Sandbox
beforeEach(() => {
  sandbox = createSandbox()
})
afterEach(() => sandbox.cleanup())

/** Makes the real store fail a statement, as a full disk or a constraint would, from inside a command. */
function failOn(sandbox: Sandbox, table: string, when = '1'): void {
  const store = SqliteStore.open({ configDir: sandbox.configDir })
  try {
    for (const event of ['INSERT', 'UPDATE']) {
      store.db.exec(
        `CREATE TRIGGER fail_${event.toLowerCase()}_${table} BEFORE ${event} ON ${table} WHEN ${when}
         BEGIN SELECT RAISE(ABORT, 'injected failure writing ${table}'); END`,
      )
    }
  } finally {
    store.close()
  }
}

describe('a command that fails in the middle of its write', () => {
  it('stack register --set: the stack row is rolled back when activating it fails (project scope)', async () => {
    await ok(sandbox, ['init'])
    await ok(sandbox, ['stack', 'list'])
    // Written after the stack row, inside the same transaction: reading it fails.
    writeFileSync(join(sandbox.project, '.strata/config.json'), '{"activeStack": 42}\n')
    const before = sandbox.dump()
    const result = await sandbox.strata([
      'stack',
      'register',
      'half',
      '-o',
      'default',
      '-a',
      'default',
      '--set',
    ])
    expect(result.code, result.stderr).toBe(1)
    expect(result.stderr).toMatch(
      /^Error: cannot read .*config\.json: 'activeStack' must be a string — fix the JSON/m,
    )
    expect(result.stderr).not.toContain("Registered stack 'half'")
    expect(sandbox.dump()).toEqual(before)
  })

  it('stack register --set: the stack row is rolled back when writing the active stack fails (user scope)', async () => {
    const elsewhere = join(dirname(sandbox.project), 'elsewhere')
    mkdirSync(elsewhere)
    await ok(sandbox, ['stack', 'list'], { cwd: elsewhere })
    failOn(sandbox, 'settings', "NEW.key = 'active_stack_id'")
    const before = sandbox.dump()
    expect(before.stacks).toHaveLength(1)
    const result = await sandbox.strata(
      ['stack', 'register', 'half', '-o', 'default', '-a', 'default', '--set'],
      {
        cwd: elsewhere,
      },
    )
    expect(result.code, result.stderr).toBe(1)
    expect(result.stderr).toContain('injected failure writing settings')
    expect(sandbox.dump()).toEqual(before)
    // Without the failure the same command writes both rows.
    const store = SqliteStore.open({ configDir: sandbox.configDir })
    store.db.exec('DROP TRIGGER fail_insert_settings; DROP TRIGGER fail_update_settings')
    store.close()
    await ok(sandbox, ['stack', 'register', 'half', '-o', 'default', '-a', 'default', '--set'], {
      cwd: elsewhere,
    })
    expect((await ok(sandbox, ['stack', 'get'], { cwd: elsewhere })).stdout).toBe('half\n')
  })

  it('stack import: components written before the failing stack row are rolled back', async () => {
    await registerDemoStack(sandbox)
    await ok(sandbox, ['stack', 'export', 'demo', 'demo.yaml'])
    await ok(sandbox, ['stack', 'set', 'default'])
    await ok(sandbox, ['stack', 'delete', 'demo', '-y', '-r'])
    failOn(sandbox, 'stacks')
    const before = sandbox.dump()
    expect(before.components).toHaveLength(2)
    const result = await sandbox.strata(['stack', 'import', 'demo.yaml'])
    expect(result.code, result.stderr).toBe(1)
    expect(result.stderr).toContain('injected failure writing stacks')
    // The import creates the orchestrator and the artifact store first; neither is left behind.
    expect(sandbox.dump()).toEqual(before)
  })
})
