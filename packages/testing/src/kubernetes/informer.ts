import { setTimeout as sleep } from 'node:timers/promises'
import { type KubeApi, KubeApiError } from './kube-api.js'

/** The part of an object an informer reads. */
export interface KubeObject {
  metadata?: { uid?: string; resourceVersion?: string; name?: string; namespace?: string }
}

/** What an informer tells its owner; calls are synchronous, in the order the server sent the changes. */
export interface InformerHandlers<T> {
  upsert(object: T): void
  remove(object: T): void
}

/** A local copy of a list of objects, kept current by a watch. */
export interface Informer<T> {
  /** Every object, by uid. */
  readonly objects: ReadonlyMap<string, T>
  /** Resolves once the first list has been applied. */
  readonly synced: Promise<void>
  stop(): void
}

/**
 * Lists `path` (with `query`, e.g. a fieldSelector), then watches from the list's resourceVersion, resuming
 * after the server ends a watch and listing again when the resourceVersion expired (410 Gone) — what
 * client-go's reflector does. Objects that vanished while the informer was not watching are reported as
 * removed after the new list.
 */
export function startInformer<T extends KubeObject>(
  api: KubeApi,
  path: string,
  query: string,
  handlers: InformerHandlers<T>,
  log: (line: string) => void,
): Informer<T> {
  const objects = new Map<string, T>()
  const controller = new AbortController()
  let markSynced: () => void = () => {}
  const synced = new Promise<void>((resolve) => {
    markSynced = resolve
  })
  const guarded = (what: 'upsert' | 'remove', object: T): void => {
    try {
      handlers[what](object)
    } catch (error) {
      log(`informer ${path}: ${what} handler failed: ${(error as Error).stack ?? String(error)}`)
    }
  }

  const run = async (): Promise<void> => {
    while (!controller.signal.aborted) {
      try {
        const list = await api.get<{ items: T[]; metadata: { resourceVersion: string } }>(`${path}?${query}`)
        const seen = new Set<string>()
        for (const item of list.items) {
          const uid = item.metadata?.uid ?? ''
          seen.add(uid)
          objects.set(uid, item)
          guarded('upsert', item)
        }
        for (const [uid, object] of objects) {
          if (seen.has(uid)) continue
          objects.delete(uid)
          guarded('remove', object)
        }
        markSynced()
        let resourceVersion = list.metadata.resourceVersion
        let expired = false
        while (!controller.signal.aborted && !expired) {
          const watchPath = `${path}?${query}&watch=true&allowWatchBookmarks=true&timeoutSeconds=240&resourceVersion=${resourceVersion}`
          await api.watch<T & { code?: number }>(
            watchPath,
            (event) => {
              if (event.type === 'ERROR') {
                // A Status object: 410 means our resourceVersion is too old to resume from.
                if (event.object.code === 410) expired = true
                else log(`informer ${path}: watch error ${JSON.stringify(event.object)}`)
                return
              }
              resourceVersion = event.object.metadata?.resourceVersion ?? resourceVersion
              if (event.type === 'BOOKMARK') return
              const uid = event.object.metadata?.uid ?? ''
              if (event.type === 'DELETED') {
                objects.delete(uid)
                guarded('remove', event.object)
              } else {
                objects.set(uid, event.object)
                guarded('upsert', event.object)
              }
            },
            controller.signal,
          )
        }
      } catch (error) {
        if (controller.signal.aborted) return
        if (!(error instanceof KubeApiError && error.status === 410)) {
          log(`informer ${path}: ${(error as Error).message}; listing again in 1 s`)
          await sleep(1000).catch(() => {})
        }
      }
    }
  }
  void run()
  return { objects, synced, stop: () => controller.abort() }
}
