// `a.localeCompare(b)` without its first-call cost: the first collation loads ICU's collator, about 6 ms,
// a seventh of the start-up budget of `strata <type> flavor list`. For printable ASCII this compares the
// way the root collation does (checked against localeCompare in compare-text.test.ts); anything else goes
// to localeCompare itself.

/** Printable ASCII in the root collation's primary order; a letter's upper case shares its rank. */
const ROOT_ORDER = ' _-,;:!?.\'"()[]{}@*/\\&#%`^+<=>|~$0123456789abcdefghijklmnopqrstuvwxyz'

const RANK = new Int16Array(128).fill(-1)
for (const [rank, char] of [...ROOT_ORDER].entries()) {
  RANK[char.charCodeAt(0)] = rank
  if (char >= 'a' && char <= 'z') RANK[char.toUpperCase().charCodeAt(0)] = rank
}

function isPrintableAscii(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index)
    if (code < 32 || code > 126) return false
  }
  return true
}

/**
 * Orders two strings as `a.localeCompare(b)` does (-1, 0 or 1): by letters, digits and punctuation first,
 * ignoring case, then lower case before upper case at the first difference.
 */
export function compareText(a: string, b: string): number {
  if (!isPrintableAscii(a) || !isPrintableAscii(b)) return Math.sign(a.localeCompare(b))
  const length = Math.min(a.length, b.length)
  for (let index = 0; index < length; index++) {
    const difference = (RANK[a.charCodeAt(index)] ?? 0) - (RANK[b.charCodeAt(index)] ?? 0)
    if (difference !== 0) return difference < 0 ? -1 : 1
  }
  if (a.length !== b.length) return a.length < b.length ? -1 : 1
  for (let index = 0; index < length; index++) {
    const code = a.charCodeAt(index)
    // Same rank, different code: the same letter in the other case.
    if (code !== b.charCodeAt(index)) return code >= 97 ? -1 : 1
  }
  return 0
}
