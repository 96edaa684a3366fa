/** How far `a` is from `b`: insertions, deletions and substitutions (Levenshtein), in one row of memory. */
function editDistance(a: string, b: string): number {
  // `above` is the previous row (the distances from a's first i characters); each new cell needs the one
  // above it, the one to its left (just computed) and the one diagonally up-left.
  let above = Array.from({ length: b.length + 1 }, (_, index) => index)
  let distance = b.length
  for (const [i, charA] of a.split('').entries()) {
    let diagonal = i
    let left = i + 1
    const row = [left]
    for (const [j, up] of above.slice(1).entries()) {
      left = Math.min(up + 1, left + 1, diagonal + (charA === b[j] ? 0 : 1))
      row.push(left)
      diagonal = up
    }
    above = row
    distance = left
  }
  return distance
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
    const other = comparable(candidate)
    // Two names differ by at least their difference in length: a 5 MB typo is compared with nothing.
    if (Math.abs(typed.length - other.length) >= bestDistance) continue
    const distance = editDistance(typed, other)
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance]
  }
  return best
}
