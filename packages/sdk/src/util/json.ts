/** Why a value is not plain JSON: the path of the first offending part and what it is. */
export interface NonJson {
  path: string
  found: string
  hint: string
}

export interface FindNonJsonOptions {
  /**
   * Refuse `-0`, which JSON writes as `0`: artifacts must load as the value that was saved. Parameters and
   * metadata accept it (for them `-0` and `0` mean the same).
   * @default false
   */
  negativeZero?: boolean
}

function describe(value: unknown, options: FindNonJsonOptions): { found: string; hint: string } | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined
    case 'number':
      if (!Number.isFinite(value)) return { found: String(value), hint: 'use null or a finite number' }
      if (options.negativeZero && Object.is(value, -0)) {
        return {
          found: '-0 (negative zero, which JSON stores as 0)',
          hint: 'use 0 (x + 0 turns -0 into 0), or return a Float64Array, which keeps -0',
        }
      }
      return undefined
    case 'bigint':
      return { found: 'a BigInt', hint: 'convert it to a string or a number' }
    case 'undefined':
      return { found: 'undefined', hint: 'use null, or leave the key out' }
    case 'function':
      return { found: 'a function', hint: 'functions cannot be stored' }
    case 'symbol':
      return { found: 'a symbol', hint: 'use a string' }
  }
  if (value === null || Array.isArray(value)) return undefined
  if (value instanceof Date) return { found: 'a Date', hint: 'convert it with toISOString()' }
  if (value instanceof Map) return { found: 'a Map', hint: 'convert it with Object.fromEntries(map)' }
  if (value instanceof Set) return { found: 'a Set', hint: 'convert it with [...set]' }
  const prototype = Object.getPrototypeOf(value)
  if (prototype !== Object.prototype && prototype !== null) {
    const name = (value as object).constructor?.name ?? 'an unknown class'
    return {
      found: `an instance of ${name}`,
      hint: 'convert it to a plain object, or add a materializer for it',
    }
  }
  return undefined
}

function findIn(value: unknown, path: string, options: FindNonJsonOptions): NonJson | undefined {
  const problem = describe(value, options)
  if (problem) return { path: path || '(the value itself)', ...problem }
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      if (!(index in value))
        return { path: `${path}[${index}]`, found: 'an empty array slot', hint: 'fill it or use null' }
      const found = findIn(value[index], `${path}[${index}]`, options)
      if (found) return found
    }
  } else if (typeof value === 'object' && value !== null) {
    // JSON drops symbol keys without a word: refuse them like other values it would lose.
    const symbol = Object.getOwnPropertySymbols(value).find(
      (key) => Object.getOwnPropertyDescriptor(value, key)?.enumerable,
    )
    if (symbol !== undefined) {
      return {
        path: path || '(the value itself)',
        found: `an object with the symbol key ${symbol.toString()}`,
        hint: 'use a string key',
      }
    }
    for (const [key, child] of Object.entries(value)) {
      const found = findIn(child, path ? `${path}.${key}` : key, options)
      if (found) return found
    }
  }
  return undefined
}

/** The first part of `value` that JSON would lose or change, or `undefined` for plain JSON. Linear time. */
export function findNonJson(value: unknown, options: FindNonJsonOptions = {}): NonJson | undefined {
  return findIn(value, '', options)
}

/** JSON with object keys sorted, so equal values give equal strings (for cache keys). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return item
    return Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
  })
}
