const CHUNK = 1024 * 1024

/**
 * A deterministic stream of `size` bytes in 1 MiB chunks, each stamped with its index so that lost or
 * reordered chunks change the digest. `onChunk` sees every chunk (e.g. to hash what was sent).
 */
export async function* patternStream(
  size: number,
  onChunk?: (chunk: Uint8Array) => void,
): AsyncGenerator<Uint8Array> {
  const base = Buffer.alloc(CHUNK)
  for (let index = 0; index < CHUNK; index++) base[index] = (index * 31 + 7) & 0xff
  for (let offset = 0, index = 0; offset < size; offset += CHUNK, index++) {
    const chunk = Buffer.from(base.subarray(0, Math.min(CHUNK, size - offset)))
    chunk.writeUInt32BE(index >>> 0, 0)
    onChunk?.(chunk)
    yield chunk
  }
}

/** Reads a whole stream into one buffer. */
export async function collectBytes(source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  for await (const chunk of source) chunks.push(chunk)
  return Buffer.concat(chunks)
}
