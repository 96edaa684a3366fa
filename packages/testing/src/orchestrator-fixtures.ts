// Pipelines the orchestrator conformance suite runs. Module-level exports (step processes find steps by
// their module's exports); no test-runner imports, so the module bundles for step processes.
// Steps append what they observe to `events.log` in $STRATA_CONFORMANCE_DIR, which step processes inherit:
// one line per event, `<label> <event> <pid>`, in the order they happened (appends are atomic). The suite
// checks that order, never durations; steps that must overlap wait for each other's events.
import { appendFileSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { input, pipeline, step } from '@strata/sdk'
import { z } from 'zod'

function eventsLog(): string | undefined {
  const directory = process.env.STRATA_CONFORMANCE_DIR
  return directory ? join(directory, 'events.log') : undefined
}

function note(label: string, event: string): void {
  const file = eventsLog()
  if (file) appendFileSync(file, `${label} ${event} ${process.pid}\n`)
}

/** The events noted so far, as `<label> <event>`, in order. */
function notedEvents(): string[] {
  const file = eventsLog()
  if (!file) return []
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => line.slice(0, line.lastIndexOf(' ')))
  } catch {
    return []
  }
}

/** Whether some step has noted an event that `wanted` accepts (given `<label> <event>`). */
function noted(wanted: (labelAndEvent: string) => boolean): boolean {
  return notedEvents().some(wanted)
}

/**
 * Whether one of `others` ran while `label` runs: it started after `label` did, or it started before and
 * did not end before `label` started.
 */
function overlapping(label: string, others: readonly string[]): boolean {
  const events = notedEvents()
  const mine = events.findIndex((event) => event.startsWith(`${label} start`))
  return others.some((other) => {
    const start = events.findIndex((event) => event.startsWith(`${other} start`))
    if (start < 0) return false
    const end = events.indexOf(`${other} end`)
    return start > mine || end < 0 || end > mine
  })
}

/**
 * Waits until `happened` says so (other steps noted what this one waits for). The bound turns an
 * orchestrator that never lets that happen (running the two steps one after the other, say) into a failed
 * step naming what it waited for, instead of a hang.
 */
async function waitUntil(what: string, happened: () => boolean, signal: AbortSignal): Promise<void> {
  for (let polls = 0; !happened(); polls++) {
    if (polls > 3000) throw new Error(`waited in vain for ${what}`)
    await sleep(10, undefined, { signal })
  }
}

export const work = step(
  {
    name: 'work',
    outputs: [],
    params: z.object({
      label: z.string(),
      ms: z.number().default(0),
      failAttempts: z.number().default(0),
      /** `<label> <event>` that must have been noted before this step does its work (`ms`). */
      waitFor: z.string().optional(),
      /** Labels of which one must run while this step runs before it ends: the two overlap. */
      meet: z.array(z.string()).default([]),
    }),
    onSuccess: (context) => note(context.stepName ?? '?', 'hook-success'),
    onFailure: (_error, context) => note(context.stepName ?? '?', 'hook-failure'),
  },
  async (_inputs, ctx) => {
    const { label, ms, failAttempts, waitFor, meet } = ctx.params
    note(label, `start attempt=${ctx.attempt}`)
    if (ctx.attempt <= failAttempts) throw new Error(`planned failure of attempt ${ctx.attempt}`)
    if (waitFor) await waitUntil(`'${waitFor}'`, () => noted((event) => event === waitFor), ctx.signal)
    await sleep(ms, undefined, { signal: ctx.signal })
    if (meet.length > 0) {
      await waitUntil(
        `one of ${meet.join(', ')} to run while ${label} ran`,
        () => overlapping(label, meet),
        ctx.signal,
      )
    }
    note(label, 'end')
  },
)

/** a → (b, c) → d; b and c each end only once the other runs too. */
export const diamond = pipeline({ name: 'conformance-diamond' }, () => {
  work({ id: 'a', params: { label: 'a' } })
  work({ id: 'b', params: { label: 'b', meet: ['c'] }, after: ['a'] })
  work({ id: 'c', params: { label: 'c', meet: ['b'] }, after: ['a'] })
  work({ id: 'd', params: { label: 'd' }, after: ['b', 'c'] })
})

const LEAVES = Array.from({ length: 8 }, (_, index) => `leaf${index}`)

/** root → 8 leaves → join; leaf0 ends only once another leaf runs while it does. */
export const fanOut = pipeline({ name: 'conformance-fan-out' }, () => {
  work({ id: 'root', params: { label: 'root' } })
  for (const id of LEAVES)
    work({ id, params: { label: id, meet: id === 'leaf0' ? LEAVES.slice(1) : [] }, after: ['root'] })
  work({ id: 'join', params: { label: 'join' }, after: LEAVES })
})

/**
 * x fails at once, w depends on it; y waits until x has failed, then works `hold` ms; z depends on y.
 * y is running when x fails, whatever order the orchestrator starts them in.
 */
export const failing = pipeline(
  { name: 'conformance-failing', params: z.object({ hold: z.number().default(0) }) },
  ({ hold }) => {
    work({ id: 'x', params: { label: 'x', failAttempts: 99 } })
    work({ id: 'w', params: { label: 'w' }, after: ['x'] })
    work({ id: 'y', params: { label: 'y', waitFor: 'x hook-failure', ms: hold } })
    work({ id: 'z', params: { label: 'z' }, after: ['y'] })
  },
)

/** flaky fails twice then succeeds; broken always fails. Retries come from the run config. */
export const retrying = pipeline({ name: 'conformance-retrying' }, () => {
  work({ id: 'flaky', params: { label: 'flaky', failAttempts: 2 } })
  work({ id: 'broken', params: { label: 'broken', failAttempts: 99 } })
})

/** One long step, to interrupt. */
export const long = pipeline({ name: 'conformance-long' }, () => {
  work({ id: 'long', params: { label: 'long', ms: 30_000 } })
})

export const produce = step(
  { name: 'produce', params: z.object({ size: z.number().default(4) }) },
  async (_inputs, ctx) => ({
    values: Array.from({ length: ctx.params.size }, (_, index) => index * 1.5),
    bytes: Array.from({ length: 3 }, (_, index) => index),
  }),
)

export const transform = step(
  { name: 'transform', inputs: { data: input<{ values: number[] }>() }, outputs: ['doubled', 'weights'] },
  async ({ data }) => ({
    doubled: data.values.map((value) => value * 2),
    weights: new Float32Array(data.values),
  }),
)

/** Never cached: it must read its inputs back from the store on every run. */
export const consume = step(
  {
    name: 'consume',
    inputs: { doubled: input<number[]>(), weights: input<Float32Array>() },
    cache: false,
  },
  async ({ doubled, weights }) => ({
    sum: doubled.reduce((total, value) => total + value, 0),
    weights: [...weights],
    weightsType: weights.constructor.name,
  }),
)

/** produce → transform → consume: JSON and typed-array artifacts through the stack's artifact store. */
export const dataFlow = pipeline(
  { name: 'conformance-data-flow', params: z.object({ size: z.number().default(4) }) },
  ({ size }) => {
    const { doubled, weights } = transform({ data: produce({ params: { size } }) })
    consume({ doubled, weights })
  },
)
