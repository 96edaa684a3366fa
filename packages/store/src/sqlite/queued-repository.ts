import type { TransactionQueue } from './transaction-queue.js'

/**
 * The synchronous twin of an asynchronous repository interface: what the SQLite repositories implement,
 * since `node:sqlite` answers synchronously. {@link queued} turns one back into the interface.
 */
export type Synchronous<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => Promise<infer R> ? (...args: A) => R : T[K]
}

const TARGET = Symbol('target')
const QUEUE = Symbol('queue')

interface Facade {
  [TARGET]: Record<string, (...args: unknown[]) => unknown>
  [QUEUE]: TransactionQueue
}

/** Facade prototypes by repository prototype: built once per repository class, not per transaction. */
const prototypes = new WeakMap<object, object>()

function facadePrototype(prototype: object): object {
  let facade = prototypes.get(prototype)
  if (facade) return facade
  facade = {}
  for (const name of Object.getOwnPropertyNames(prototype)) {
    if (name === 'constructor') continue
    const descriptor = Object.getOwnPropertyDescriptor(prototype, name)
    if (typeof descriptor?.value !== 'function') continue
    Object.defineProperty(facade, name, {
      value(this: Facade, ...args: unknown[]) {
        return this[QUEUE].call(this[TARGET], name, args)
      },
    })
  }
  prototypes.set(prototype, facade)
  return facade
}

/**
 * The asynchronous repository over a synchronous SQLite one: every method runs through `queue` (at once
 * when it is idle, else after the transaction in front of it), and returns a promise.
 */
export function queued<T>(repository: Synchronous<T>, queue: TransactionQueue): T {
  const facade = Object.create(facadePrototype(Object.getPrototypeOf(repository))) as Facade
  facade[TARGET] = repository as unknown as Facade[typeof TARGET]
  facade[QUEUE] = queue
  return facade as unknown as T
}
