import { describe, expect, it } from 'vitest'
import {
  COMPONENT_TYPES,
  componentCliName,
  isStrataError,
  joinArtifactKey,
  normalizeArtifactKey,
  normalizeArtifactPrefix,
  parseComponentType,
  StrataError,
} from './index.js'

describe('StrataError', () => {
  it('is recognised across module copies through its Symbol.for brand', () => {
    // What another copy of @strata/core would throw: same brand, different class.
    const foreign = Object.assign(new Error('x'), { code: 'X' })
    Object.defineProperty(foreign, Symbol.for('strata.error'), { value: true })
    expect(isStrataError(foreign)).toBe(true)
    expect(foreign instanceof StrataError).toBe(true)
    expect(isStrataError(new Error('plain'))).toBe(false)
  })

  it('keeps the ordinary instanceof check for subclasses', () => {
    class SpecialError extends StrataError {}
    expect(new StrataError('X', 'x') instanceof SpecialError).toBe(false)
    expect(new SpecialError('X', 'x') instanceof SpecialError).toBe(true)
  })
})

describe('component types', () => {
  it("are ZenML's fourteen, with CLI names", () => {
    expect(COMPONENT_TYPES).toHaveLength(14)
    expect(componentCliName('experiment_tracker')).toBe('experiment-tracker')
    expect(parseComponentType('artifact-store')).toBe('artifact_store')
    expect(() => parseComponentType('database')).toThrow("unknown component type 'database'")
  })
})

describe('artifact keys', () => {
  it.each([
    ['../etc/passwd', "contains '..'"],
    ['a/../../b', "contains '..'"],
    ['/abs/path', 'is absolute'],
    ['C:/windows', 'is absolute'],
    ['a//b', 'contains an empty segment'],
    ['a\\b', 'contains a backslash'],
    ['', 'is empty'],
    ['dir/', "ends with '/'"],
  ])('refuses %j', (key, reason) => {
    expect(() => normalizeArtifactKey(key)).toThrow(reason)
  })

  it('accepts ordinary keys and normalises prefixes', () => {
    expect(normalizeArtifactKey('runs/a/b.json')).toBe('runs/a/b.json')
    expect(normalizeArtifactPrefix('runs/a')).toBe('runs/a/')
    expect(normalizeArtifactPrefix('')).toBe('')
    expect(() => normalizeArtifactPrefix('../x')).toThrow("contains '..'")
    expect(joinArtifactKey('runs/', '/a', 'b')).toBe('runs/a/b')
  })
})
