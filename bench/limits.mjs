#!/usr/bin/env node
// `node bench/limits.mjs [--mib N] [--rounds N]`: this machine's physical limits, the yardsticks every
// benchmark row is read against ("x× the limit"): a bare `node -e 0` process, writing N MiB into the page
// cache (one writeFile of a file that is then removed; no fsync), reading it back from the page cache, and
// Node's sha256 over the same bytes, and one fsync of a small write (what a synced commit adds). Medians of --rounds (default 7) on the pinned Node; prints a Markdown table.
import { spawnSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import {
  closeSync,
  fsyncSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { machineInfo, median } from './lib.mjs'

const args = process.argv.slice(2)
const option = (flag, fallback) => Number(args.includes(flag) ? args[args.indexOf(flag) + 1] : fallback)
const mib = option('--mib', 256)
const rounds = Math.max(3, option('--rounds', 7))

const timed = (fn) => {
  const begin = process.hrtime.bigint()
  fn()
  return Number(process.hrtime.bigint() - begin) / 1e6
}

const dir = mkdtempSync(join(tmpdir(), 'strata-limits-'))
const file = join(dir, 'data.bin')
const data = randomBytes(mib * 2 ** 20)
const samples = { node: [], write: [], read: [], sha256: [], fsync: [] }
const loadBefore = loadavg()[0]
try {
  for (let round = 0; round < rounds; round++) {
    samples.node.push(timed(() => spawnSync(process.execPath, ['-e', '0'], { stdio: 'ignore' })))
    samples.write.push(timed(() => writeFileSync(file, data)))
    samples.read.push(timed(() => readFileSync(file)))
    samples.sha256.push(timed(() => createHash('sha256').update(data).digest('hex')))
    rmSync(file)
    // What SQLite's synchronous=FULL adds to each commit: an fsync after a small write.
    const fd = openSync(file, 'w')
    samples.fsync.push(
      timed(() => {
        writeSync(fd, data, 0, 4096)
        fsyncSync(fd)
      }),
    )
    closeSync(fd)
    rmSync(file)
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
const rate = (ms) => `${((mib / 1024) * (1000 / ms)).toFixed(2)} GiB/s`
const info = machineInfo()
const rows = [
  ['`node -e 0` (process start to exit)', median(samples.node), '-'],
  [
    `write ${mib} MiB into the page cache (writeFile, no fsync)`,
    median(samples.write),
    rate(median(samples.write)),
  ],
  [`read ${mib} MiB from the page cache (readFile)`, median(samples.read), rate(median(samples.read))],
  [`sha256 of ${mib} MiB (node:crypto)`, median(samples.sha256), rate(median(samples.sha256))],
  ['write 4 KiB and fsync it (the cost synchronous=FULL adds to a commit)', median(samples.fsync), '-'],
]
console.log(
  [
    `${info.cpu}; Node ${info.node}; ${rounds} rounds, medians; load average (1 min) ${loadBefore.toFixed(1)} → ${loadavg()[0].toFixed(1)}.`,
    '',
    '| limit | median | rate |',
    '| --- | ---: | ---: |',
    ...rows.map(([label, ms, speed]) => `| ${label} | ${ms.toFixed(1)} ms | ${speed} |`),
  ].join('\n'),
)
