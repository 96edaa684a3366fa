#!/usr/bin/env node
// `node bench/digests.mjs [--mib N] [--rounds N]`: how fast this machine's Node hashes N MiB (default 1024) with
// each digest it has built in, rounds interleaved; the median per algorithm, and each as a ratio of sha256 (the
// content digest of artifact versions). The reason the content digest is what it is: docs/benchmarks.md.
import { createHash } from 'node:crypto'

const flag = (name, fallback) => {
  const index = process.argv.indexOf(name)
  return index === -1 ? fallback : Number(process.argv[index + 1])
}
const mib = flag('--mib', 1024)
const rounds = flag('--rounds', 3)
const algorithms = ['sha256', 'sha1', 'sha512-256', 'blake2b512', 'md5']
const bytes = Buffer.allocUnsafe(mib * 1024 * 1024).fill(Buffer.from('strata digest benchmark'))
const times = new Map(algorithms.map((algorithm) => [algorithm, []]))
for (let round = 0; round < rounds; round++) {
  for (const algorithm of round % 2 ? [...algorithms].reverse() : algorithms) {
    const started = performance.now()
    createHash(algorithm).update(bytes).digest()
    times.get(algorithm).push(performance.now() - started)
  }
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const sha256 = median(times.get('sha256'))
console.log(`| digest | ${mib} MiB, median of ${rounds} | ÷ sha256 |\n| --- | ---: | ---: |`)
for (const [algorithm, values] of times) {
  console.log(`| ${algorithm} | ${median(values).toFixed(0)} ms | ${(median(values) / sha256).toFixed(2)}× |`)
}
