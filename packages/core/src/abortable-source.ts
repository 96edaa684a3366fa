/**
 * Yields the chunks of `source`, counting their bytes into `counter`, and stops with the signal's reason
 * as soon as `signal` aborts — also while the source itself is waiting, so a stalled producer cannot keep
 * an aborted upload open.
 */
export async function* abortableSource(
  source: AsyncIterable<Uint8Array>,
  counter: { bytes: number },
  signal?: AbortSignal,
): AsyncGenerator<Uint8Array> {
  const iterator = source[Symbol.asyncIterator]()
  let finished = false
  try {
    while (true) {
      signal?.throwIfAborted()
      const next = signal ? await untilAborted(iterator.next(), signal) : await iterator.next()
      if (next.done) {
        finished = true
        return
      }
      counter.bytes += next.value.byteLength
      yield next.value
    }
  } finally {
    // A generator blocked in next() would hold return() until it yields: don't wait for it.
    if (!finished) void Promise.resolve(iterator.return?.()).catch(() => {})
  }
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}
