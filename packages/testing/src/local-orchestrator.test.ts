import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { openRunEnvironment } from '@strata/sdk'
import { orchestratorConformance } from './orchestrator-suite.js'

async function environment() {
  const configDir = await mkdtemp(join(tmpdir(), 'strata-local-orchestrator-'))
  const opened = await openRunEnvironment({ configDir, projectRoot: resolve(import.meta.dirname, '..') })
  return {
    environment: opened,
    dispose: async () => {
      await opened.close()
      await rm(configDir, { recursive: true, force: true })
    },
  }
}

orchestratorConformance({ name: 'local (in-process)', environment })
orchestratorConformance({
  name: 'local (a process per step)',
  environment,
  settings: { 'orchestrator.local': { isolation: 'process' } },
})
