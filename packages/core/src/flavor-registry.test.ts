import { describe, expect, it } from 'vitest'
import { bucketStore, diskStore, fixturePlugin } from './fixtures.test-helpers.js'
import { type AnyFlavor, FlavorRegistry, flavorEntryFromDefinition } from './index.js'

const source = { package: '@fixture/everything', version: '1.0.0', kind: 'dependency' } as const

describe('FlavorRegistry', () => {
  it('lists the flavors of a plugin sorted by type and name', () => {
    const registry = new FlavorRegistry()
    registry.registerPlugin(fixturePlugin, { version: '1.0.0', kind: 'dependency' })
    expect(registry.list().map((entry) => `${entry.type}/${entry.name}`)).toEqual([
      'artifact_store/bucket',
      'artifact_store/disk',
      'orchestrator/cluster',
      'orchestrator/inline',
    ])
    expect(registry.get('artifact_store', 'bucket').source.package).toBe('@fixture/everything')
  })

  it('keeps one copy of a flavor reached twice through the same package', () => {
    const registry = new FlavorRegistry()
    registry.register(flavorEntryFromDefinition(bucketStore, source))
    registry.register(flavorEntryFromDefinition(bucketStore, { ...source, version: '1.0.1' }))
    expect(registry.list('artifact_store')).toHaveLength(1)
  })

  it('refuses the same flavor from two packages', () => {
    const registry = new FlavorRegistry()
    registry.register(flavorEntryFromDefinition(bucketStore, source))
    expect(() =>
      registry.register(flavorEntryFromDefinition(bucketStore, { ...source, package: 'acme-bucket' })),
    ).toThrow('flavor artifact_store/bucket is provided by both @fixture/everything and acme-bucket')
  })

  it('names the unknown flavor and the available ones', () => {
    const registry = new FlavorRegistry()
    registry.register(flavorEntryFromDefinition(diskStore, source))
    expect(() => registry.get('artifact_store', 'gcs')).toThrow(
      "unknown artifact_store flavor 'gcs' — available: disk; see 'strata artifact-store flavor list' or install an integration",
    )
  })

  it('refuses an interface version it cannot host, with the fix', () => {
    const future = { ...diskStore, name: 'future', apiVersion: 2 } as unknown as AnyFlavor
    expect(() => flavorEntryFromDefinition(future, source)).toThrow(
      'flavor artifact_store/future from @fixture/everything@1.0.0 implements the artifact_store interface v2, but this Strata supports v1 — upgrade Strata',
    )
    const registry = new FlavorRegistry()
    expect(() =>
      registry.register({ ...flavorEntryFromDefinition(diskStore, source), name: 'old', apiVersion: 0 }),
    ).toThrow(/supports v1 — upgrade @fixture\/everything to a release built for artifact_store v1/)
  })

  it('names the refusal, not an unknown flavor, when a refused flavor is asked for', () => {
    const registry = new FlavorRegistry()
    const future = { ...flavorEntryFromDefinition(diskStore, source), name: 'future', apiVersion: 2 }
    expect(() => registry.register(future)).toThrow(/interface v2/)
    expect(registry.find('artifact_store', 'future')).toBeUndefined()
    expect(registry.refusal('artifact_store', 'future')?.code).toBe('UNSUPPORTED_API_VERSION')
    expect(() => registry.get('artifact_store', 'future')).toThrow(
      'flavor artifact_store/future from @fixture/everything@1.0.0 implements the artifact_store interface v2, but this Strata supports v1 — upgrade Strata (@strata/cli and @strata/sdk), or install a @fixture/everything release built for artifact_store v1',
    )
    expect(registry.refusal('artifact_store', 'disk')).toBeUndefined()
    expect(registry.refusals().map((error) => error.message)).toEqual([
      registry.refusal('artifact_store', 'future')!.message,
    ])
    // A hostable copy reached later wins over the refusal.
    registry.register({ ...future, apiVersion: 1 })
    expect(registry.refusal('artifact_store', 'future')).toBeUndefined()
    expect(registry.refusals()).toEqual([])
    expect(registry.get('artifact_store', 'future').apiVersion).toBe(1)
  })

  it('refuses a plugin object that is not one', () => {
    const registry = new FlavorRegistry()
    expect(() =>
      registry.registerPlugin({} as never, { package: 'broken', version: '1', kind: 'dependency' }),
    ).toThrow('broken does not export a plugin object — export default definePlugin')
  })

  it('checks that loaded code matches the manifest', async () => {
    const registry = new FlavorRegistry()
    registry.register({ ...flavorEntryFromDefinition(diskStore, source), name: 'claimed' })
    await expect(registry.load('artifact_store', 'claimed')).rejects.toThrow(
      'declares flavor artifact_store/claimed in its manifest but its code exports artifact_store/disk',
    )
  })
})
