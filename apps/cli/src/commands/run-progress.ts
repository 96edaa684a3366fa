// How `strata pipeline run` and `runs resume` print a run: plain lines (pipes, files, CI, dumb terminals)
// or, on a terminal, a live view of every step's state redrawn in place under the scrolling log lines.
import type { RunOutput, RunProgress, StepProgressState } from '@strata/sdk'
import { type CommandContext, type StateColour, stateColour } from '../kit.js'

const ICON: Record<StepProgressState, string> = {
  pending: '○',
  running: '●',
  retrying: '↻',
  completed: '✔',
  cached: '✔',
  failed: '✖',
  stopped: '■',
  skipped: '↷',
  not_started: '○',
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']
const CSI = '\u001b['
// Sent through the terminal's control(): any other control character printed is shown, not obeyed.
const HIDE_CURSOR = `${CSI}?25l`
const SHOW_CURSOR = `${CSI}?25h`
/**
 * How often the block is redrawn: step changes are gathered between ticks (a redraw per event would make
 * a 10,000-step run quadratic), and running steps tick their elapsed time and spinner.
 */
const TICK_MS = 100

/** Elapsed time on a terminal: `12ms`, `4.2s`, `2m 03s`. */
function elapsed(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`
  const seconds = Math.floor(ms / 1000)
  return `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, '0')}s`
}

/** A command that prints a run's progress: it declares `--plain` (plainOption). */
type ProgressContext = CommandContext<object, { plain: boolean }>

/** Whether this command's output gets the live view: a terminal that can move its cursor, not CI. */
function wantsLiveView(context: ProgressContext): boolean {
  const ci = context.env.CI
  return (
    context.io.isTTY &&
    context.options.plain !== true &&
    context.env.TERM !== 'dumb' &&
    (ci === undefined || ci === '' || ci === '0' || ci === 'false')
  )
}

/** Plain lines, with step and run states coloured on a terminal. */
function plainPrinter(context: ProgressContext): RunOutput {
  const { io } = context
  return (line, progress) => {
    const state =
      progress?.type === 'step'
        ? progress.state
        : progress?.type === 'run_finished'
          ? progress.status
          : undefined
    const colour = state ? stateColour(state) : undefined
    const at = state ? line.indexOf(`: ${state}`) : -1
    if (!colour || at < 0) {
      io.out(line)
      return
    }
    const start = at + 2
    io.out(`${line.slice(0, start)}${io.style(state!, colour)}${line.slice(start + state!.length)}`)
  }
}

interface StepView {
  id: string
  state: StepProgressState
  startedAt?: number
  endedAt?: number
  attempt?: number
  error?: string
  ownProcess?: boolean
}

interface Segment {
  text: string
  colour?: StateColour | undefined
}

/** What the live view draws on: a terminal's size, styling, and a write of whole lines. */
interface LiveTerminal {
  columns(): number
  rows(): number
  style(text: string, colour: StateColour): string
  /** A control sequence the view means to send (every other control character is neutralised). */
  control(sequence: string): string
  /** Text with its control characters neutralised, as it will be shown: measured before it is cut. */
  inert(text: string): string
  /** Writes text that ends with a newline (scrubbed of secrets like every CLI output). */
  write(text: string): void
}

/**
 * The live view: log lines and messages scroll above a block holding one line per step (state, elapsed
 * time) and a line of counts. The block is erased and redrawn in place (cursor up, erase to the end of
 * the screen) on every change and on a timer while steps run; each write is whole lines, so log lines are
 * never cut. When the run finishes, the block is drawn one last time in full, as the run's summary.
 */
class LiveRunView {
  readonly #terminal: LiveTerminal
  readonly #now: () => number
  readonly #steps: StepView[] = []
  readonly #byId = new Map<string, StepView>()
  #drawn = 0
  #frame = 0
  #startedAt = 0
  #timer: NodeJS.Timeout | undefined
  #active = false
  /** Something changed since the block was drawn. */
  #dirty = false
  /** Written before the next lines (hiding the cursor while the block is live). */
  #prefix = ''
  readonly #restoreCursor = (): void => {
    this.#terminal.write(`${this.#terminal.control(SHOW_CURSOR)}\n`)
  }

  constructor(terminal: LiveTerminal, now: () => number = Date.now) {
    this.#terminal = terminal
    this.#now = now
  }

  /** The `output` of a run. */
  readonly output: RunOutput = (line, progress) => {
    if (progress?.type === 'run_started') this.#start(progress)
    else if (progress?.type === 'step' && this.#active) {
      this.#update(progress)
      this.#dirty = true
      return
    } else if (progress?.type === 'run_finished' && this.#active) {
      this.#finish(line)
      return
    }
    this.#write([line])
  }

  #start(progress: Extract<RunProgress, { type: 'run_started' }>): void {
    this.#steps.length = 0
    this.#byId.clear()
    for (const step of progress.steps) {
      const view: StepView = { id: step.id, state: step.state }
      this.#steps.push(view)
      this.#byId.set(step.id, view)
    }
    this.#startedAt = this.#now()
    if (!this.#active) {
      this.#active = true
      this.#prefix = this.#terminal.control(HIDE_CURSOR)
      process.once('exit', this.#restoreCursor)
      this.#timer = setInterval(() => {
        this.#frame++
        if (this.#dirty || this.#steps.some((step) => step.state === 'running' || step.state === 'retrying'))
          this.#write([])
      }, TICK_MS)
      this.#timer.unref()
    }
  }

  #update(progress: Extract<RunProgress, { type: 'step' }>): void {
    let view = this.#byId.get(progress.step)
    if (!view) {
      view = { id: progress.step, state: 'pending' }
      this.#steps.push(view)
      this.#byId.set(progress.step, view)
    }
    const now = this.#now()
    if (progress.state === 'running' && view.startedAt === undefined) view.startedAt = now
    if (progress.state !== 'running' && progress.state !== 'retrying' && progress.state !== 'pending') {
      view.endedAt = now
    }
    view.state = progress.state
    if (progress.attempt !== undefined) view.attempt = progress.attempt
    if (progress.ownProcess) view.ownProcess = true
    if (progress.error !== undefined) view.error = progress.error
  }

  #finish(line: string): void {
    clearInterval(this.#timer)
    this.#active = false
    process.off('exit', this.#restoreCursor)
    // The summary: every step, however many, since nothing is redrawn after it.
    const block = this.#block(Number.POSITIVE_INFINITY, true)
    this.#terminal.write(
      `${this.#terminal.control(SHOW_CURSOR)}${this.#erase()}${[...block, line].join('\n')}\n`,
    )
    this.#drawn = 0
  }

  /** Erases the block, writes `lines` above it, draws it again. */
  #write(lines: string[]): void {
    if (!this.#active) {
      for (const line of lines) this.#terminal.write(`${line}\n`)
      return
    }
    const block = this.#block(Math.max(2, this.#terminal.rows() - 2), false)
    this.#terminal.write(`${this.#prefix}${this.#erase()}${[...lines, ...block].join('\n')}\n`)
    this.#prefix = ''
    this.#drawn = block.length
    this.#dirty = false
  }

  #erase(): string {
    return this.#drawn > 0 ? this.#terminal.control(`\r${CSI}${this.#drawn}A${CSI}J`) : ''
  }

  /** The block's lines, each cut to the terminal's width so that none wraps (wrapping would break the redraw). */
  #block(maxLines: number, final: boolean): string[] {
    const width = Math.max(20, this.#terminal.columns() - 1)
    const now = this.#now()
    const idWidth = Math.min(32, Math.max(4, ...this.#steps.map((step) => step.id.length)))
    let shown = this.#steps
    let hidden: StepView[] = []
    if (shown.length + 1 > maxLines) {
      // Too many to draw: the running and failed ones first, then what comes next; the rest is counted.
      const rank = (step: StepView): number =>
        step.state === 'running' || step.state === 'retrying'
          ? 0
          : step.state === 'failed' || step.state === 'stopped'
            ? 1
            : step.state === 'pending'
              ? 2
              : 3
      const keep = new Set(
        [...this.#steps]
          .sort((a, b) => rank(a) - rank(b))
          .slice(0, Math.max(0, maxLines - 2))
          .map((step) => step.id),
      )
      shown = this.#steps.filter((step) => keep.has(step.id))
      hidden = this.#steps.filter((step) => !keep.has(step.id))
    }
    const lines = shown.map((step) => this.#fit(this.#stepLine(step, idWidth, now, final), width))
    if (hidden.length > 0) {
      lines.push(
        this.#fit([{ text: `  … ${hidden.length} more: ${this.#counts(hidden)}`, colour: 'dim' }], width),
      )
    }
    const total = elapsed(now - this.#startedAt)
    lines.push(
      this.#fit(
        [{ text: `  ${this.#counts(this.#steps)} · ${total}`, colour: final ? undefined : 'dim' }],
        width,
      ),
    )
    return lines
  }

  #stepLine(step: StepView, idWidth: number, now: number, final: boolean): Segment[] {
    const running = step.state === 'running' || step.state === 'retrying'
    const icon = running && !final ? SPINNER[this.#frame % SPINNER.length]! : ICON[step.state]
    const label =
      step.state === 'retrying' && step.attempt !== undefined
        ? `retrying (attempt ${step.attempt})`
        : step.state === 'running' && step.ownProcess
          ? 'running (own process)'
          : step.state
    const time = step.startedAt === undefined ? '' : elapsed((step.endedAt ?? now) - step.startedAt)
    const segments: Segment[] = [
      { text: '  ' },
      { text: icon, colour: stateColour(step.state) },
      {
        text: ` ${step.id.length > idWidth ? `${step.id.slice(0, idWidth - 1)}…` : step.id.padEnd(idWidth)}  `,
      },
      { text: time ? label.padEnd(10) : label, colour: stateColour(step.state) },
      { text: time ? `  ${time.padStart(7)}` : '' },
    ]
    if (step.error && (step.state === 'failed' || step.state === 'stopped' || step.state === 'retrying')) {
      segments.push({ text: `  ${step.error.replaceAll(/\s+/g, ' ')}`, colour: 'dim' })
    }
    return segments
  }

  #counts(steps: readonly StepView[]): string {
    const count = (...states: StepProgressState[]) =>
      steps.filter((step) => states.includes(step.state)).length
    const done = count('completed', 'cached')
    const parts = [`${done} of ${steps.length} done`]
    const cached = count('cached')
    if (cached > 0) parts.push(`${cached} cached`)
    for (const [label, states] of [
      ['running', ['running', 'retrying']],
      ['pending', ['pending']],
      ['failed', ['failed']],
      ['stopped', ['stopped']],
      ['skipped', ['skipped']],
      ['not started', ['not_started']],
    ] as const) {
      const n = count(...states)
      if (n > 0) parts.push(`${n} ${label}`)
    }
    return parts.join(' · ')
  }

  /** Cuts segments to `width` visible characters, then styles them. */
  #fit(segments: Segment[], width: number): string {
    let left = width
    let line = ''
    for (const segment of segments) {
      if (left <= 0) break
      const characters = [...this.#terminal.inert(segment.text)]
      const text =
        characters.length > left ? `${characters.slice(0, left - 1).join('')}…` : characters.join('')
      left -= Math.min(characters.length, left)
      line += segment.colour && text.trim() !== '' ? this.#terminal.style(text, segment.colour) : text
    }
    return line.trimEnd()
  }
}

/** The run's output for this command: the live view on a terminal, plain lines otherwise. */
export function runPrinter(context: ProgressContext): RunOutput {
  if (!wantsLiveView(context)) return plainPrinter(context)
  const { io } = context
  const view = new LiveRunView({
    columns: () => io.columns ?? 80,
    rows: () => process.stdout.rows || 24,
    style: (text, colour) => io.style(text, colour),
    control: (sequence) => io.control(sequence),
    inert: (text) => io.inert(text),
    // Every write ends with a newline, which io.out adds.
    write: (text) => io.out(text.slice(0, -1)),
  })
  return view.output
}
