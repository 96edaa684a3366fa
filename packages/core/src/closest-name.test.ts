import { describe, expect, it } from 'vitest'
import { closestName } from './closest-name.js'

describe('closestName', () => {
  it('suggests the nearest candidate within two edits', () => {
    expect(closestName('regoin', ['path', 'region', 'endpoint'])).toBe('region')
    expect(closestName('stak', ['pipeline', 'stack', 'secret'])).toBe('stack')
  })

  it('ignores case, dashes and underscores', () => {
    expect(closestName('tracking-uri', ['trackingUri', 'token'])).toBe('trackingUri')
    expect(closestName('ARTIFACT_STORE', ['artifact-store', 'orchestrator'])).toBe('artifact-store')
  })

  it('allows a third of a long name, and nothing that is merely somewhat alike', () => {
    expect(closestName('secretAcesKy', ['secretAccessKey'])).toBe('secretAccessKey')
    expect(closestName('bogus', ['path', 'region'])).toBeUndefined()
    expect(closestName('x', [])).toBeUndefined()
  })

  it('keeps the first of equally near candidates', () => {
    expect(closestName('cat', ['bat', 'hat'])).toBe('bat')
  })
})
