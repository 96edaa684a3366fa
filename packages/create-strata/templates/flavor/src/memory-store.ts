import { Readable } from 'node:stream'
import {
  type ArtifactBody,
  type ArtifactCallOptions,
  type ArtifactStoreV1,
  artifactNotFound,
  defineFlavor,
} from '@strata/core'
import { z } from 'zod'

/** Keeps artifacts in a Map: they live as long as the process (one `strata pipeline run`). */
class MemoryStore implements ArtifactStoreV1 {
  readonly apiVersion = 1
  readonly uri: string
  readonly #objects = new Map<string, Buffer>()

  constructor(uri: string) {
    this.uri = uri
  }

  async write(key: string, body: ArtifactBody, options?: ArtifactCallOptions) {
    const chunks: Uint8Array[] = []
    const source = typeof body === 'string' || body instanceof Uint8Array ? [Buffer.from(body)] : body
    for await (const chunk of source) {
      options?.signal?.throwIfAborted()
      chunks.push(chunk)
    }
    const data = Buffer.concat(chunks)
    this.#objects.set(key, data) // visible only once complete
    return { size: data.byteLength }
  }

  async read(key: string) {
    const data = this.#objects.get(key)
    if (!data) throw artifactNotFound(this.uri, key)
    return Readable.from([data])
  }

  async stat(key: string) {
    const data = this.#objects.get(key)
    return data ? { size: data.byteLength } : undefined
  }

  async list(prefix: string, { cursor = '', limit = 1000 } = {}) {
    const keys = [...this.#objects.keys()].filter((key) => key.startsWith(prefix) && key > cursor).sort()
    const entries = keys
      .slice(0, limit)
      .map((key) => ({ key, size: this.#objects.get(key)?.byteLength ?? 0 }))
    const last = entries.at(-1)
    return keys.length > limit && last ? { entries, cursor: last.key } : { entries }
  }

  async delete(key: string) {
    this.#objects.delete(key)
  }

  async deletePrefix(prefix: string) {
    return [...this.#objects.keys()].filter((key) => key.startsWith(prefix) && this.#objects.delete(key))
      .length
  }
}

export const memoryStore = defineFlavor({
  apiVersion: 1,
  type: 'artifact_store',
  name: 'memory',
  description: 'Artifacts in memory, for one process',
  isLocal: true,
  config: z.object({ name: z.string().default('default').describe('Separates stores in one process') }),
  create: async (config) => new MemoryStore(`memory://${config.name}`),
})
