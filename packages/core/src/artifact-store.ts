/**
 * Bytes handed to {@link ArtifactStoreV1.write}: a whole buffer, a string (UTF-8), or a stream of
 * chunks. A Node.js `Readable` is an `AsyncIterable<Uint8Array>`, so it can be passed as is.
 */
export type ArtifactBody = Uint8Array | string | AsyncIterable<Uint8Array>

export interface ArtifactStat {
  /** Size in bytes. */
  size: number
  modifiedAt?: Date
}

export interface ArtifactListEntry {
  /** The full key, relative to the store's root. */
  key: string
  size: number
}

export interface ArtifactListOptions {
  /** The opaque `cursor` of the previous page. */
  cursor?: string
  /**
   * Most entries in one page. A store may return fewer, and a page may be empty while `cursor` is set.
   * @default 1000
   */
  limit?: number
}

export interface ArtifactListPage {
  entries: ArtifactListEntry[]
  /** Set when more entries follow; pass it back to get the next page. */
  cursor?: string
}

export interface ArtifactCallOptions {
  signal?: AbortSignal
}

export interface ArtifactReadWholeOptions extends ArtifactCallOptions {
  /**
   * Called with each part of the value as it lands, in order (a view of the buffer being filled: copy it to
   * keep it). A caller hashes the bytes here while the store reads the next part.
   */
  onPart?(part: Uint8Array): void
}

/** An object a write left behind before it completed (its writer was killed midway). */
export interface ArtifactLeftover {
  /** The store's own temporary name, relative to its root (never an artifact's key). */
  key: string
  size: number
  modifiedAt: Date
  /**
   * The process that was writing it, as far as the store can tell: `alive` (it may still finish: never
   * remove it), `gone` (nobody will finish it), `unknown` (another machine, or no way to tell here).
   */
  writer: 'alive' | 'gone' | 'unknown'
}

/**
 * Version 1 of the artifact store contract: a flat key space of immutable-once-written objects.
 *
 * Keys are relative, `/`-separated paths (`runs/abc/train/model/data.json`). The host normalises them and
 * refuses `..`, absolute paths and empty segments before a store sees them, so an implementation may
 * trust its keys. Strata never overwrites a key: every artifact version is written under a fresh prefix.
 *
 * Required: `write`, `read`, `stat`, `list`, `delete`, `deletePrefix`.
 * Optional capabilities: `readWhole`, `exists`, `copy` (derived by the host when absent), `localPath`, `verify`,
 * `leftovers` with `removeLeftover`, `close`.
 */
export interface ArtifactStoreV1 {
  readonly apiVersion: 1
  /**
   * The store's root as a URI (`file:///home/me/.config/strata/local_stores/1f…`, `s3://bucket/prefix`).
   * It identifies the store in cache keys and run URIs.
   */
  readonly uri: string

  /**
   * Writes `body` under `key`. The object becomes visible only once complete: a concurrent reader sees
   * nothing or the whole value, and a body that fails midway (or an aborted call) leaves nothing behind.
   * @throws StrataError `ARTIFACT_STORE_ERROR` when the write fails (after cleaning up)
   */
  write(key: string, body: ArtifactBody, options?: ArtifactCallOptions): Promise<ArtifactStat>

  /**
   * Opens `key` for streaming. Resolves only once the object is known to exist.
   * @throws StrataError `ARTIFACT_NOT_FOUND` when no object has that key
   */
  read(key: string, options?: ArtifactCallOptions): Promise<AsyncIterable<Uint8Array>>

  /** The object's size, or `undefined` when no object has that key. */
  stat(key: string, options?: ArtifactCallOptions): Promise<ArtifactStat | undefined>

  /**
   * Lists objects whose key starts with `prefix` (recursively, in ascending key order), one page at a time.
   * `prefix` is `''` or ends with `/`.
   */
  list(prefix: string, options?: ArtifactListOptions & ArtifactCallOptions): Promise<ArtifactListPage>

  /** Deletes one object; deleting a missing key is not an error. */
  delete(key: string, options?: ArtifactCallOptions): Promise<void>

  /** Deletes every object under `prefix` (which ends with `/`); resolves with how many were deleted. */
  deletePrefix(prefix: string, options?: ArtifactCallOptions): Promise<number>

  /**
   * Capability: reads the whole object into one buffer of its size (no chunks to join, no second copy),
   * calling `onPart` with each part as it lands. Without it the host reads the stream and joins its chunks.
   * @throws StrataError `ARTIFACT_NOT_FOUND` when no object has that key
   */
  readWhole?(key: string, options?: ArtifactReadWholeOptions): Promise<Uint8Array>

  /** Capability: cheaper than `stat` on some stores. */
  exists?(key: string, options?: ArtifactCallOptions): Promise<boolean>

  /**
   * Capability: server-side copy.
   * @throws StrataError `ARTIFACT_NOT_FOUND` when `from` is missing
   */
  copy?(from: string, to: string, options?: ArtifactCallOptions): Promise<void>

  /**
   * Capability of stores on this machine's filesystem: the absolute path of `key`, so that callers can
   * hand files to tools without copying. Never used to write.
   */
  localPath?(key: string): string

  /**
   * Capability: checks that the store is reachable and that its credentials can list and write
   * (`strata stack validate`).
   * @throws StrataError naming the store and the likely fix
   */
  verify?(options?: ArtifactCallOptions): Promise<void>

  /**
   * Capability of stores that write through temporary objects beside the target (the local store): the
   * temporary objects that writes left behind, in any order. Never lists a finished object.
   */
  leftovers?(options?: ArtifactCallOptions): AsyncIterable<ArtifactLeftover>

  /**
   * Capability (with `leftovers`): removes one temporary object `leftovers` listed; refuses any other key.
   */
  removeLeftover?(key: string, options?: ArtifactCallOptions): Promise<void>

  /** Capability: releases clients and sockets. */
  close?(): Promise<void>
}
