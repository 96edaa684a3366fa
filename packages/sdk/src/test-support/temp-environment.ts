import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { openRunEnvironment, type RunEnvironment } from '../run/run-environment.js'

export type TempEnvironment = RunEnvironment & { configDir: string; dispose(): Promise<void> }

/** A fresh store and default stack in a temporary config directory, for tests. */
export async function tempEnvironment(
  projectRoot: string = resolve(import.meta.dirname, '../..'),
): Promise<TempEnvironment> {
  const configDir = await mkdtemp(join(tmpdir(), 'strata-sdk-test-'))
  const environment = await openRunEnvironment({ configDir, projectRoot })
  return {
    ...environment,
    async dispose() {
      await environment.close()
      await rm(configDir, { recursive: true, force: true })
    },
  }
}
