// Runs one benchmark workload on Strata and prints its timings as one JSON line. The harnesses
// (bench/run.mjs, bench/compare.mjs) start one process per workload and round, with STRATA_CONFIG_DIR
// pointing at the benchmark's own store. Usage: node driver.ts WORKLOAD [ARGS].
import { createHash } from 'node:crypto'
import { glob, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

const [workload = '', ...args] = process.argv.slice(2)
const numbers = args.map(Number)

function emit(fields: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(fields)}\n`)
}

async function timed<T>(call: () => Promise<T> | T): Promise<[number, T]> {
  const begin = performance.now()
  const result = await call()
  return [performance.now() - begin, result]
}

/** Peak resident memory of this process so far, in MiB. */
const peakMiB = () => process.resourceUsage().maxRSS / 1024

/**
 * The physical limit of an artifact hand-off, in plain Node: write the value to a file beside the store,
 * read it back, (bytes) hash it once or (JSON) stringify before and parse after. The value is made first,
 * outside the clock, as the pipelines' steps make theirs.
 */
async function plain(kind: string, size: number): Promise<void> {
  const { makeBytes, makeRecords } = await import('./payloads.ts')
  const path = join(process.env.STRATA_CONFIG_DIR ?? '.', `plain-${process.pid}.bin`)
  try {
    if (kind === 'bytes') {
      let data: Buffer | undefined = makeBytes(size)
      const [ms] = await timed(async () => {
        await writeFile(path, data as Buffer)
        data = undefined
        const back = await readFile(path)
        createHash('sha256').update(back).digest('hex')
      })
      return emit({ ms, peakMiB: peakMiB() })
    }
    let records: unknown = makeRecords(size)
    const [ms] = await timed(async () => {
      await writeFile(path, JSON.stringify(records))
      records = undefined
      JSON.parse(await readFile(path, 'utf8'))
    })
    return emit({ ms, peakMiB: peakMiB() })
  } finally {
    await rm(path, { force: true })
  }
}

/** Removes the benchmark pipeline's artifact folders from the default stack's local store (its data folder). */
async function removeArtifacts(namePrefix: string): Promise<void> {
  const root = join(process.env.STRATA_CONFIG_DIR ?? '.', 'local_stores')
  for await (const folder of glob(`*/artifacts/${namePrefix}*`, { cwd: root }))
    await rm(join(root, folder), { recursive: true, force: true })
}

function expectCompleted(run: { status: string; error?: string }): void {
  if (run.status !== 'completed') throw new Error(`the benchmark run ended ${run.status}: ${run.error ?? ''}`)
}

async function main(): Promise<void> {
  const [n = 1, ms = 0] = numbers
  if (workload === 'loop') {
    const [elapsed] = await timed(async () => {
      for (let index = 0; index < n; index++) await sleep(ms)
    })
    return emit({ ms: elapsed })
  }
  if (workload === 'plain-bytes') return plain('bytes', n)
  if (workload === 'plain-json') return plain('json', n)
  const { bytesHandOff, chain, fanOut, making, recordsHandOff } = await import('./pipelines.ts')
  // Process start to here: Node, the SDK and the workload's module.
  const ready = performance.now()
  if (workload === 'chain' || workload === 'process-chain') {
    const settings: Record<string, Record<string, unknown>> = workload === 'process-chain'
      ? { 'orchestrator.local': { isolation: 'process' } }
      : {}
    const cpu = process.cpuUsage()
    const [elapsed, run] = await timed(() =>
      chain.run({ params: { n, ms }, output: false, cache: false, settings }),
    )
    const { user, system } = process.cpuUsage(cpu)
    expectCompleted(run)
    return emit({ runMs: elapsed, startMs: ready, cpuMs: (user + system) / 1000 })
  }
  if (workload === 'bytes' || workload === 'json') {
    const handOff = (size: number) =>
      workload === 'bytes'
        ? bytesHandOff.run({ params: { mib: size }, output: false, cache: false })
        : recordsHandOff.run({ params: { count: size }, output: false, cache: false })
    // A small run first, as the warm fan-out: the process's one-time start-up (lazy modules, esbuild's
    // service) is not the artifact's cost.
    expectCompleted(await handOff(1))
    making.ms = 0
    // The run's time less the producing step's making of its value, which the plain reference leaves out.
    const [elapsed, run] = await timed(() => handOff(n))
    expectCompleted(run)
    // After the clock, as the plain reference removes its file: a round's bytes left dirty in the page cache
    // would throttle the next round's writes to the disk's speed (a 1 GiB write(2) then takes ~3 s, not ~0.3 s).
    await removeArtifacts(workload === 'bytes' ? 'bench_bytes__' : 'bench_records__')
    return emit({ ms: elapsed - making.ms, makingMs: making.ms, peakMiB: peakMiB() })
  }
  if (workload === 'cached') {
    // A start value no earlier round used: the first run executes every step, the second none.
    const params = { n, ms: 0, start: Date.now() }
    const [first, warm] = await timed(() => chain.run({ params, output: false, cache: true }))
    expectCompleted(warm)
    const [second, run] = await timed(() => chain.run({ params, output: false, cache: true }))
    const allCached = Object.values(run.steps).every((state) => state === 'cached')
    const firstExecuted = Object.values(warm.steps).every((state) => state === 'completed')
    return emit({ firstMs: first, cachedMs: second, allCached, firstExecuted })
  }
  if (workload === 'fanout-warm') {
    await fanOut.run({ params: { width: n, ms }, output: false, cache: false })
  }
  if (workload === 'fanout' || workload === 'fanout-warm') {
    const [elapsed, run] = await timed(() =>
      fanOut.run({ params: { width: n, ms }, output: false, cache: false }),
    )
    expectCompleted(run)
    return emit({ runMs: elapsed })
  }
  if (workload === 'compile') {
    const [elapsed, compiled] = await timed(() => chain.compile({ params: { n, ms: 0 } }))
    return emit({ ms: elapsed, steps: compiled.steps.length })
  }
  if (workload === 'register') return emit({ ms: await register(n, ms) })
  throw new Error(`unknown workload '${workload}'`)
}

/**
 * Registers `components` components (half orchestrators, half artifact stores) and `stacks` stacks
 * through the SDK, each config validated by its flavor, as `strata ... register` does.
 */
async function register(components: number, stacks: number): Promise<number> {
  const sdk = await import('@strata/sdk/internal')
  const workspace = sdk.openWorkspace()
  try {
    const begin = performance.now()
    const { registry } = await sdk.discoverWorkspaceFlavors(workspace)
    const { components: repository } = workspace.store
    for (let index = 0; index < components / 2; index++) {
      for (const [type, name, config] of [
        ['orchestrator', `orchestrator-${index}`, {}],
        ['artifact_store', `store-${index}`, { path: `/tmp/strata-bench-store-${index}` }],
      ] as const) {
        const { missingSecrets: _, ...component } = await sdk.prepareComponent(
          { type, name, flavor: 'local', config },
          { registry, secrets: workspace.store.secrets },
        )
        await workspace.store.transaction((tx) => tx.components.create(component))
      }
    }
    for (let index = 0; index < stacks; index++) {
      const orchestrator = await repository.get('orchestrator', `orchestrator-${index}`)
      const artifactStore = await repository.get('artifact_store', `store-${index}`)
      await workspace.store.transaction((tx) =>
        tx.stacks.create({
          name: `stack-${index}`,
          components: { orchestrator: orchestrator.id, artifact_store: artifactStore.id },
        }),
      )
    }
    return performance.now() - begin
  } finally {
    await workspace.close()
  }
}

await main()
