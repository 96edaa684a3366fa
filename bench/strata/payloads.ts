// The data of the artifact workloads, made the same way for a pipeline's step and for the plain-Node
// reference it is compared with (bench/strata/driver.ts), so both move the same bytes.

/** `mib` MiB of a repeating non-zero pattern (every page written, so the memory is really there). */
export function makeBytes(mib: number): Buffer {
  const pattern = Buffer.alloc(64 * 1024)
  for (let index = 0; index < pattern.length; index++) pattern[index] = (index * 31 + 7) & 0xff
  return Buffer.allocUnsafe(mib * 1024 * 1024).fill(pattern)
}

export interface BenchRecord {
  id: number
  name: string
  score: number
  active: boolean
  tags: string[]
}

/** `count` small records (about 70 bytes of JSON each). */
export function makeRecords(count: number): BenchRecord[] {
  const records: BenchRecord[] = new Array(count)
  for (let index = 0; index < count; index++) {
    records[index] = {
      id: index,
      name: `record-${index}`,
      score: index * 0.25,
      active: index % 3 === 0,
      tags: index % 2 === 0 ? ['even'] : ['odd', 'x'],
    }
  }
  return records
}
