import { StrataError } from '@strata/core/base'

/**
 * The order of calls at one level of the store's single SQLite connection: the store itself, or one open
 * transaction. While a transaction is open at a level, every other call at that level waits for it, in the
 * order the calls were made; so two async callers never interleave inside one `BEGIN IMMEDIATE`.
 *
 * A call at an idle level runs at once, synchronously (SQLite is synchronous underneath): the common case
 * costs no extra turn of the event loop.
 */
export class TransactionQueue {
  /** The level this one is a transaction of; `undefined` for the store. */
  readonly parent: TransactionQueue | undefined
  /** The innermost transaction the current async code runs in, if any. */
  readonly #current: () => TransactionQueue | undefined
  #busy = false
  #ended = false
  readonly #waiting: Array<() => void> = []

  constructor(current: () => TransactionQueue | undefined, parent?: TransactionQueue) {
    this.#current = current
    this.parent = parent
  }

  get idle(): boolean {
    return !this.#busy && this.#waiting.length === 0
  }

  /** Whether the transaction of this level has committed or rolled back. */
  get ended(): boolean {
    return this.#ended
  }

  /**
   * Calls `target[method](...args)` (synchronous): now when the level is idle, else after what was queued
   * before it. Returns its result as a promise.
   */
  call<T>(target: object, method: string, args: unknown[]): Promise<T> {
    if (this.#ended) return Promise.reject(transactionEnded())
    const fn = (target as Record<string, ((...args: unknown[]) => T) | undefined>)[method]
    if (typeof fn !== 'function')
      return Promise.reject(new TypeError(`${method} is not a method of the store`))
    if (this.idle) {
      try {
        return Promise.resolve(fn.apply(target, args))
      } catch (error) {
        return Promise.reject(error)
      }
    }
    return this.exclusive(async () => fn.apply(target, args))
  }

  /** Runs `work` alone at this level, after what was queued before it; calls made meanwhile wait for it. */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    if (this.#ended) return Promise.reject(transactionEnded())
    if (this.idle) {
      this.#busy = true
      return this.#holding(work)
    }
    try {
      this.#refuseWaitFromInside()
    } catch (error) {
      return Promise.reject(error)
    }
    return new Promise<void>((resolve) => this.#waiting.push(resolve)).then(() => this.#holding(work))
  }

  /** Waits for everything queued at this level, then refuses further calls. */
  async end(): Promise<void> {
    if (!this.idle) await this.exclusive(async () => {})
    this.#ended = true
  }

  /** Runs `work` holding the level, and hands the level on when it settles. */
  async #holding<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work()
    } finally {
      this.#release()
    }
  }

  /** The level stays busy from one holder to the next: whoever waits longest goes first. */
  #release(): void {
    const next = this.#waiting.shift()
    if (next) next()
    else this.#busy = false
  }

  /**
   * A call made from inside a transaction opened below this level would wait for that transaction, which
   * waits for the call: refuse it instead of hanging.
   */
  #refuseWaitFromInside(): void {
    for (let level = this.#current(); level !== undefined; level = level.parent) {
      if (level.parent === this && !level.ended) {
        throw new StrataError(
          'STORE_CALL_IN_TRANSACTION',
          'a store call was made inside a transaction, but not through it, so it would wait for that transaction forever — inside store.transaction(async (tx) => ...) use tx (tx.runs, tx.transaction(...)), not the store',
        )
      }
    }
  }
}

function transactionEnded(): StrataError {
  return new StrataError(
    'STORE_TRANSACTION_ENDED',
    'a store transaction was used after it ended — keep calls on tx inside the function given to transaction(), and await them there',
  )
}
