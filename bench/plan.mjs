// What the benchmarks measure, for any framework adapter (Strata's or ZenML's): each measurement is one
// process per round; metrics are derived per round from that round's measurements, then summarized.

/** Workload sizes. `--smoke` shrinks them to check that the harness works, not to measure. */
export function sizes(smoke) {
  return smoke
    ? {
        short: 4,
        long: 8,
        stepMs: 10,
        width: 4,
        fanMs: 50,
        cached: 8,
        components: 4,
        stacks: 2,
        compile: 1000,
      }
    : {
        short: 40,
        long: 80,
        stepMs: 10,
        width: 16,
        fanMs: 100,
        cached: 100,
        components: 50,
        stacks: 10,
        compile: 10_000,
      }
}

/**
 * The measurements shared by both frameworks, in the order one round runs them. `run(adapter, round)`
 * returns the raw result of one process.
 */
export function sharedMeasurements(size) {
  return [
    { id: 'help', run: (framework) => framework.cli(['--help']) },
    { id: 'stackList', run: (framework) => framework.cli(['stack', 'list']) },
    { id: 'stackDescribe', run: (framework) => framework.cli(['stack', 'describe']) },
    { id: 'loopShort', run: (framework) => framework.driver(['loop', size.short, size.stepMs]) },
    { id: 'loopLong', run: (framework) => framework.driver(['loop', size.long, size.stepMs]) },
    { id: 'chainShort', run: (framework) => framework.driver(['chain', size.short, size.stepMs]) },
    { id: 'chainLong', run: (framework) => framework.driver(['chain', size.long, size.stepMs]) },
    { id: 'criticalPath', run: (framework) => framework.driver(['loop', 1, size.fanMs]) },
    { id: 'fanOut', run: (framework) => framework.fanOut(size.width, size.fanMs) },
    { id: 'cached', run: (framework) => framework.driver(['cached', size.cached]) },
    { id: 'register', run: (framework, round) => framework.register(round, size.components, size.stacks) },
  ]
}

/** Metrics derived from one round's measurements of one framework. */
export function sharedMetrics(size) {
  const waits = (m) => m.loopLong.ms - m.loopShort.ms
  return [
    { id: 'help', label: '`--help`', value: (m) => m.help.wallMs },
    { id: 'stackList', label: '`stack list`', value: (m) => m.stackList.wallMs },
    { id: 'stackDescribe', label: '`stack describe`', value: (m) => m.stackDescribe.wallMs },
    {
      id: 'startUp',
      label: 'start-up: process start to pipeline code loaded',
      value: (m) => m.chainShort.startMs,
    },
    {
      id: 'chainShort',
      label: `chain of ${size.short} steps × ${size.stepMs} ms, one run`,
      value: (m) => m.chainShort.runMs,
    },
    {
      id: 'chainLong',
      label: `chain of ${size.long} steps × ${size.stepMs} ms, one run`,
      value: (m) => m.chainLong.runMs,
    },
    {
      id: 'overhead',
      label: `framework overhead per step (slope ${size.short}→${size.long} steps minus the same waits in a loop)`,
      unit: 'ms/step',
      value: (m) => (m.chainLong.runMs - m.chainShort.runMs - waits(m)) / (size.long - size.short),
    },
    {
      id: 'fanOut',
      label: `${size.width}-wide fan-out of ${size.fanMs} ms steps, one run`,
      value: (m) => m.fanOut.runMs,
    },
    {
      id: 'fanOutRatio',
      label: `fan-out ÷ its critical path (one ${size.fanMs} ms wait)`,
      unit: '×',
      value: (m) => m.fanOut.runMs / m.criticalPath.ms,
    },
    {
      id: 'cached',
      label: `fully cached re-run of a ${size.cached}-step chain`,
      value: (m) => m.cached.cachedMs,
    },
    {
      id: 'register',
      label: `register ${size.components} components + ${size.stacks} stacks (client API, one process)`,
      value: (m) => m.register.ms,
    },
    {
      id: 'listStacks',
      label: `\`stack list\` (${size.stacks + 1} stacks)`,
      value: (m) => m.register.listStacks,
    },
    {
      id: 'listComponents',
      label: `\`orchestrator list\` (${size.components / 2 + 1} orchestrators)`,
      value: (m) => m.register.listComponents,
    },
  ]
}

/**
 * Runs `rounds` rounds; in each, every measurement runs once per framework, the frameworks' order
 * rotating from one measurement to the next so neither always runs on a warmer machine.
 */
export function runRounds(frameworks, measurements, rounds, progress) {
  const results = frameworks.map(() => [])
  let turn = 0
  for (let round = 0; round < rounds; round++) {
    const current = frameworks.map(() => ({}))
    for (const measurement of measurements) {
      const order = frameworks.map((_, index) => (index + turn) % frameworks.length)
      turn++
      for (const index of order) {
        const framework = frameworks[index]
        if (measurement.only && measurement.only !== framework.id) continue
        progress?.(`round ${round + 1}/${rounds}: ${framework.name} ${measurement.id}`)
        current[index][measurement.id] = measurement.run(framework, round)
      }
    }
    for (const [index, roundResult] of current.entries()) results[index].push(roundResult)
  }
  return results
}

/** Each metric's values over the rounds, for one framework's results. */
export function metricValues(metric, roundsOfOneFramework) {
  return roundsOfOneFramework.filter((m) => metric.applies?.(m) ?? true).map((m) => metric.value(m))
}
