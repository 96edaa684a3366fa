import type { Io } from './io.js'

export type StateColour = 'green' | 'red' | 'yellow' | 'cyan' | 'dim'

const STATE_COLOUR: Record<string, StateColour> = {
  completed: 'green',
  cached: 'green',
  failed: 'red',
  stopped: 'yellow',
  skipped: 'yellow',
  not_started: 'dim',
  pending: 'dim',
  running: 'cyan',
  retrying: 'yellow',
  initializing: 'cyan',
}

/** The colour a run's or step's state (or a model version's stage) is shown in. */
export function stateColour(state: string): StateColour | undefined {
  return STATE_COLOUR[state]
}

/** A state, in its colour on a terminal: `completed` green, `failed` red. */
export function styledState(io: Io, state: string): string {
  const colour = STATE_COLOUR[state]
  return colour ? io.style(state, colour) : state
}
