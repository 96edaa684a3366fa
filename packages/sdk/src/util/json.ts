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

/**
 * Whether `value` is plain JSON, without building paths (the common case: a large value that is fine). An
 * object passes on its prototype alone (a Date, Map, Set or class instance has another one), its keys are
 * walked with `for...in` (no array of them per object), and the symbol-key check allocates only for objects
 * that have symbols.
 */
function isPlain(value: unknown, negativeZero: boolean): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true
    case 'number':
      return Number.isFinite(value) && !(negativeZero && value === 0 && 1 / value < 0)
    case 'object':
      break
    default:
      return false
  }
  if (value === null) return true
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      if (!(index in value) || !isPlain(value[index], negativeZero)) return false
    }
    return true
  }
  const prototype = Object.getPrototypeOf(value)
  if ((prototype !== Object.prototype && prototype !== null) || hasSymbolKey(value)) return false
  // A plain object's prototype has no enumerable keys of its own (one that does is checked too: stricter).
  for (const key in value) {
    if (!isPlain((value as Record<string, unknown>)[key], negativeZero)) return false
  }
  return true
}

/** JSON drops symbol keys without a word: refused like other values it would lose. */
function symbolKey(value: object): symbol | undefined {
  return Object.getOwnPropertySymbols(value).find(
    (key) => Object.getOwnPropertyDescriptor(value, key)?.enumerable,
  )
}

function hasSymbolKey(value: object): boolean {
  return Object.getOwnPropertySymbols(value).length > 0 && symbolKey(value) !== undefined
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
    const symbol = symbolKey(value)
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

/**
 * The first part of `value` that JSON would lose or change, or `undefined` for plain JSON. Linear time: a
 * walk without paths, and a second one that names the path only when something was found.
 */
export function findNonJson(value: unknown, options: FindNonJsonOptions = {}): NonJson | undefined {
  return isPlain(value, options.negativeZero === true) ? undefined : findIn(value, '', options)
}

/** What {@link canonicalJson} learns from one walk over a value's objects. */
interface KeyCensus {
  keys: Set<string>
  objects: number
  occurrences: number
}

function takeCensus(value: unknown, census: KeyCensus): void {
  if (typeof value !== 'object' || value === null) return
  if (Array.isArray(value)) {
    for (const item of value) takeCensus(item, census)
    return
  }
  census.objects++
  for (const key of Object.keys(value)) {
    census.keys.add(key)
    census.occurrences++
    takeCensus((value as Record<string, unknown>)[key], census)
  }
}

/** Array-index keys, which every object lists first, in numeric order. */
const INDEX_KEY = /^(?:0|[1-9]\d{0,9})$/
const isIndexKey = (key: string) => INDEX_KEY.test(key) && Number(key) < 4_294_967_295

/** The order of an object's keys in canonical JSON: index keys numerically, then the rest by code unit. */
function canonicalKeyOrder(a: string, b: string): number {
  const aIndex = isIndexKey(a)
  const bIndex = isIndexKey(b)
  if (aIndex !== bIndex) return aIndex ? -1 : 1
  if (aIndex) return Number(a) - Number(b)
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * JSON with object keys sorted, so equal values give equal strings (for cache keys and artifact digests).
 * Most values have few distinct keys (records, configs): then Node's own `JSON.stringify` writes every
 * object's keys in the order of one sorted list of them all, at close to its plain speed. A value with so many
 * distinct keys that checking each object against the list would cost more than sorting it (a large
 * dictionary) has each object's keys sorted on the way instead. Both give the same string.
 */
export function canonicalJson(value: unknown): string {
  const census: KeyCensus = { keys: new Set(), objects: 0, occurrences: 0 }
  takeCensus(value, census)
  // `__proto__` as a listed key would read every other object's prototype.
  if (!census.keys.has('__proto__') && census.keys.size * census.objects <= 8 * census.occurrences + 65_536) {
    return JSON.stringify(value, [...census.keys].sort(canonicalKeyOrder))
  }
  return JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return item
    return Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
  })
}
