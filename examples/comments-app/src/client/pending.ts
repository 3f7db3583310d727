import type { MutationMessage, SyncPersistence, SyncSnapshot } from '@stepping/core'

/** One mutation the server has not answered yet, for the UI's pending list. */
export type PendingMutation = MutationMessage

/**
 * Wraps a persistence to follow the client's queue of unanswered mutations — the client keeps it private,
 * but every addition and removal goes through its persistence, reload included.
 */
export function trackPending(inner: SyncPersistence): { readonly persistence: SyncPersistence; readonly pending: PendingQueue } {
  const queue = new PendingQueue()
  const persistence: SyncPersistence = {
    load() {
      const loaded = inner.load()
      const take = (snapshot: SyncSnapshot | undefined): SyncSnapshot | undefined => {
        queue.replace(snapshot?.pending ?? [])
        return snapshot
      }
      return loaded instanceof Promise ? loaded.then(take) : take(loaded)
    },
    write(batch) {
      if (batch.addPending !== undefined || batch.removePending !== undefined) {
        const removed = new Set(batch.removePending ?? [])
        queue.replace([...queue.current.filter((p) => !removed.has(p.id)), ...(batch.addPending ?? [])])
      }
      return inner.write(batch)
    },
  }
  return { persistence, pending: queue }
}

/** The pending mutations, as an external store for `useSyncExternalStore`. */
export class PendingQueue {
  #current: readonly PendingMutation[] = []
  readonly #listeners = new Set<() => void>()

  get current(): readonly PendingMutation[] {
    return this.#current
  }

  replace(next: readonly PendingMutation[]): void {
    this.#current = next
    for (const listener of this.#listeners) listener()
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  readonly snapshot = (): readonly PendingMutation[] => this.#current
}
