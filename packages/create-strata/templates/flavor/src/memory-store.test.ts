import { parseFlavorConfig } from '@strata/core'
import { artifactStoreConformance, testFlavorContext } from '@strata/testing'
import { expect, it } from 'vitest'
import { memoryStore } from './memory-store.js'

// The suite every artifact store runs: writes, reads, listings, deletes, aborts, a large body.
artifactStoreConformance({
  name: 'memory',
  largeSize: 16 * 1024 * 1024,
  create: () => memoryStore.create({ name: 'test' }, testFlavorContext('memory')),
})

it('refuses a config of the wrong shape, naming the field', () => {
  expect(() => parseFlavorConfig(memoryStore, { name: 3 })).toThrow("artifact_store/memory config: 'name'")
})
