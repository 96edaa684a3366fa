import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { openRunEnvironment, type RunEnvironment } from '../runtime/run-environment.js'

/** A fresh store and default stack in a temporary config directory, for tests. */
export async function tempEnvironment(): Promise<
  RunEnvironment & { configDir: string; dispose(): Promise<void> }
> {
  const configDir = await mkdtemp(join(tmpdir(), 'strata-sdk-test-'))
  const environment = await openRunEnvironment({
    configDir,
    projectRoot: resolve(import.meta.dirname, '../..'),
  })
  return {
    ...environment,
    async dispose() {
      await environment.close()
      await rm(configDir, { recursive: true, force: true })
    },
  }
}
