/** How far `a` is from `b`: insertions, deletions and substitutions (Levenshtein), in one row of memory. */
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, index) => index)
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1))
      previous = current
    }
  }
  return row[b.length]!
}

/** `trackingUri`, `tracking_uri` and `tracking-uri` are one name to a reader: compare them as one. */
function comparable(name: string): string {
  return name.toLowerCase().replaceAll(/[-_]/g, '')
}

/**
 * The candidate nearest to a mistyped name, for "did you mean ...?" — compared regardless of case, `-` and
 * `_`, and only when it is near enough to be the name meant: at most 2 edits, or a third of the name's
 * length for longer names. The first of equally near candidates wins.
 */
export function closestName(name: string, candidates: Iterable<string>): string | undefined {
  const typed = comparable(name)
  let best: string | undefined
  let bestDistance = Math.max(2, Math.floor(typed.length / 3)) + 1
  for (const candidate of candidates) {
    const distance = editDistance(typed, comparable(candidate))
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance]
  }
  return best
}
