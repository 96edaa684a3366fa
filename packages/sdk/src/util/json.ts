/** Why a value is not plain JSON: the path of the first offending part and what it is. */
export interface NonJson {
  path: string
  found: string
  hint: string
}

function describe(value: unknown): { found: string; hint: string } | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined
    case 'number':
      return Number.isFinite(value)
        ? undefined
        : { found: String(value), hint: 'use null or a finite number' }
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

/** The first part of `value` that JSON would lose or change, or `undefined` for plain JSON. Linear time. */
export function findNonJson(value: unknown, path = ''): NonJson | undefined {
  const problem = describe(value)
  if (problem) return { path: path || '(the value itself)', ...problem }
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      if (!(index in value))
        return { path: `${path}[${index}]`, found: 'an empty array slot', hint: 'fill it or use null' }
      const found = findNonJson(value[index], `${path}[${index}]`)
      if (found) return found
    }
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      const found = findNonJson(child, path ? `${path}.${key}` : key)
      if (found) return found
    }
  }
  return undefined
}

/** JSON with object keys sorted, so equal values give equal strings (for cache keys). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return item
    return Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
  })
}
