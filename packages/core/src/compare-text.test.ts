import { describe, expect, it } from 'vitest'
import { compareText } from './compare-text.js'

/** A deterministic pseudo-random sequence (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

describe('compareText', () => {
  it('orders printable ASCII as localeCompare does', () => {
    const next = random(16)
    const alphabet = Array.from({ length: 95 }, (_, index) => String.fromCharCode(32 + index))
    // Few characters per string, from a small pool each time, so that near-ties (case, '-' and '_') occur.
    const word = (pool: string[]) =>
      Array.from({ length: Math.floor(next() * 6) }, () => pool[Math.floor(next() * pool.length)]!).join('')
    const mismatches: string[] = []
    for (let round = 0; round < 20_000; round++) {
      const pool = Array.from({ length: 4 }, () => alphabet[Math.floor(next() * alphabet.length)]!)
      pool.push(pool[0]!.toUpperCase(), pool[1]!.toLowerCase())
      const [a, b] = [word(pool), word(pool)]
      if (compareText(a, b) !== Math.sign(a.localeCompare(b)))
        mismatches.push(`${JSON.stringify(a)} ${JSON.stringify(b)}`)
    }
    expect(mismatches).toEqual([])
  })

  it('sorts names, packages and statuses as localeCompare does, non-ASCII included', () => {
    const names = [
      's3',
      'S3',
      'local',
      'gcp',
      'my_store',
      'my-store',
      'my0store',
      'mystore',
      '@strata/local',
      '@acme/x.y',
      'not installed — strata integration install s3',
      'installed',
      'custom',
      'café',
      'cafe',
      'Zed',
      '',
    ]
    expect([...names].sort(compareText)).toEqual([...names].sort((a, b) => a.localeCompare(b)))
  })
})
