import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { localArtifactStore } from '@strata/local'
import { artifactStoreConformance } from './artifact-store-suite.js'

let root: string

artifactStoreConformance({
  name: 'local',
  create: async () => {
    root = await mkdtemp(join(tmpdir(), 'strata-local-store-'))
    return localArtifactStore.create(
      { path: root },
      {
        componentName: 'local',
        componentId: 'test',
        dataDir: root,
        logger: { debug() {}, info() {}, warn() {}, error() {} },
      },
    )
  },
  cleanup: async () => {
    // No temporary file may survive the suite's failed and aborted writes.
    const leftovers = (await readdir(root, { recursive: true })).filter((name) =>
      name.includes('.strata-tmp-'),
    )
    if (leftovers.length > 0) throw new Error(`temporary files left behind: ${leftovers.join(', ')}`)
    await rm(root, { recursive: true, force: true })
  },
})
