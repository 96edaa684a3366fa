import { describe, expect, it } from 'vitest'
import { canonicalJson, findNonJson } from './json.js'

describe('canonicalJson', () => {
  it('sorts every object’s keys, nested and inside arrays, whatever their insertion order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: null }], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[1,{"y":null,"z":1}]},"b":1}',
    )
    expect(canonicalJson([{ x: 1 }, { y: 2, x: 3 }])).toBe('[{"x":1},{"x":3,"y":2}]')
    expect(canonicalJson({ y: 2, x: 1 })).toBe(canonicalJson({ x: 1, y: 2 }))
  })

  it('lists array-index keys first in numeric order, as an object holds them', () => {
    expect(canonicalJson({ a: 3, '10': 1, '9': 2, '01': 4, '4294967295': 5, '4294967294': 6 })).toBe(
      '{"9":2,"10":1,"4294967294":6,"01":4,"4294967295":5,"a":3}',
    )
  })

  it('writes no key an object does not hold itself (inherited names, __proto__)', () => {
    expect(canonicalJson([{ constructor: 2, toString: 1 }, {}])).toBe('[{"constructor":2,"toString":1},{}]')
    expect(canonicalJson([JSON.parse('{"__proto__":1,"a":2}'), { b: 1 }])).toBe(
      '[{"__proto__":1,"a":2},{"b":1}]',
    )
  })

  it('gives the same string for a value with many distinct keys (a large dictionary)', () => {
    const dictionary: Record<string, unknown> = {}
    for (let index = 2000; index > 0; index--) dictionary[`k${index}`] = { w: { q: index }, v: index }
    const text = canonicalJson(dictionary)
    expect(text.startsWith('{"k1":{"v":1,"w":{"q":1}},"k10":{"v":10,"w":{"q":10}},')).toBe(true)
    expect(JSON.parse(text)).toEqual(dictionary)
  })

  it('writes primitives as JSON does', () => {
    expect([5, 'text', null, true].map(canonicalJson)).toEqual(['5', '"text"', 'null', 'true'])
  })
})

describe('findNonJson', () => {
  it('names the path of the first part JSON would lose, and nothing for plain JSON', () => {
    expect(findNonJson({ rows: [{ a: 1 }, { b: [1, Number.NaN] }] })).toMatchObject({
      path: 'rows[1].b[1]',
      found: 'NaN',
    })
    expect(findNonJson({ rows: [{ a: 1 }, { b: [1, 2] }], text: 'x', none: null })).toBeUndefined()
    expect(findNonJson({ nested: { [Symbol('s')]: 1 } })?.path).toBe('nested')
    const holed = [1]
    holed[2] = 3
    expect(findNonJson(holed)?.path).toBe('[1]')
  })
})
