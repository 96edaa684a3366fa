import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createSandbox, ok, type Sandbox } from './helpers.js'

let sandbox: Sandbox
beforeEach(() => {
  sandbox = createSandbox()
})
afterEach(() => sandbox.cleanup())

describe('several CLI processes on one store', () => {
  it('four processes writing at once on a fresh store all succeed', async () => {
    // The first use creates the store, the default stack and the secrets key: all four race for them.
    const results = await Promise.all(
      [0, 1, 2, 3].map(async (index) => [
        await sandbox.strata(['secret', 'create', `s${index}`, `--key=value-${index}`]),
        await sandbox.strata(['artifact-store', 'register', `store${index}`, '--flavor', 'local']),
        await sandbox.strata(['stack', 'copy', 'default', `stack${index}`]),
      ]),
    )
    for (const result of results.flat()) expect(result.code, result.stderr).toBe(0)
    const dump = sandbox.dump()
    expect(dump.secrets).toHaveLength(4)
    expect(dump.stacks).toHaveLength(5)
    expect(dump.components).toHaveLength(6)
    for (const index of [0, 1, 2, 3]) {
      expect((await ok(sandbox, ['secret', 'get', `s${index}`, '--reveal'])).stdout).toContain(
        `value-${index}`,
      )
    }
  }, 60_000)
})
