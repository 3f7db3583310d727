import { keyId, type Key, type KeyId } from './key'
import type { Change } from './zset'

/** Receives each committed step's diff of one view (or one partition of it), and the new version. */
export type Listener<T> = (diff: readonly Change<T>[], version: number) => void

interface Subscription {
  readonly listener: Listener<unknown>
  /** False once unsubscribed: a queued notification for it is then skipped. */
  active: boolean
}

interface Subscribers {
  readonly all: Set<Subscription>
  readonly byPartition: Map<KeyId, Set<Subscription>>
  /** Listeners of one row, by the row's key id (whatever partition it is in). */
  readonly byKey: Map<KeyId, Set<Subscription>>
}

interface Notification {
  readonly subscription: Subscription
  readonly diff: readonly Change<unknown>[]
  readonly version: number
  readonly source: string
}

/**
 * The listeners of a store's views and collections (each source identified by an object), and the queue
 * that delivers their diffs. Invariant: a listener hears every non-empty diff of its source exactly once,
 * after the commit, in commit order; one that throws is reported to `onError` and affects no other.
 */
export class Subscriptions {
  readonly #subscribers = new Map<object, Subscribers>()
  readonly #onError: (error: unknown, source: string) => void
  #queue: Notification[] = []
  #delivering = false

  constructor(onError: (error: unknown, source: string) => void) {
    this.#onError = onError
  }

  /**
   * Adds a listener of `source`: of every change, of one partition's (`{ partition }`) or of one row's
   * (`{ key }`). Returns the function that removes it.
   */
  add(source: object, listener: Listener<unknown>, only: { readonly partition?: Key; readonly key?: Key }): () => void {
    let subs = this.#subscribers.get(source)
    if (subs === undefined) this.#subscribers.set(source, (subs = { all: new Set(), byPartition: new Map(), byKey: new Map() }))
    const subscription: Subscription = { listener, active: true }
    const [index, id] =
      only.key !== undefined ? [subs.byKey, keyId(only.key)] : only.partition !== undefined ? [subs.byPartition, keyId(only.partition)] : [undefined, null]
    let set = subs.all
    if (index) {
      const existing = index.get(id)
      if (existing) set = existing
      else index.set(id, (set = new Set()))
    }
    set.add(subscription)
    return () => {
      subscription.active = false
      set.delete(subscription)
      if (index && set.size === 0 && index.get(id) === set) index.delete(id)
    }
  }

  /** Removes every listener of `source`; notifications already queued for them are skipped. */
  drop(source: object): void {
    const subs = this.#subscribers.get(source)
    if (!subs) return
    for (const s of subs.all) s.active = false
    for (const set of [...subs.byPartition.values(), ...subs.byKey.values()]) for (const s of set) s.active = false
    this.#subscribers.delete(source)
  }

  /** Live listeners of `source`, or of every source. */
  count(source?: object): number {
    if (source === undefined) {
      let n = 0
      for (const s of this.#subscribers.keys()) n += this.count(s)
      return n
    }
    const subs = this.#subscribers.get(source)
    if (!subs) return 0
    let n = subs.all.size
    for (const set of subs.byPartition.values()) n += set.size
    for (const set of subs.byKey.values()) n += set.size
    return n
  }

  has(source: object): boolean {
    return this.#subscribers.has(source)
  }

  /** Queues one commit's diffs of `source`, per partition id: all of them for whole-source listeners. */
  enqueue(source: object, name: string, diffs: ReadonlyMap<KeyId, readonly Change<unknown>[]>, version: number): void {
    const subs = this.#subscribers.get(source)
    if (!subs) return
    if (subs.all.size > 0) {
      const all = diffs.size === 1 ? diffs.values().next().value! : [...diffs.values()].flat()
      this.#push(subs.all, all, version, name)
    }
    for (const [pid, diff] of diffs) {
      const set = subs.byPartition.get(pid)
      if (set) this.#push(set, diff, version, name)
    }
    if (subs.byKey.size > 0) {
      // One notification per changed row that has listeners: work in proportion to the change.
      const byRow = new Map<Set<Subscription>, Change<unknown>[]>()
      for (const diff of diffs.values())
        for (const c of diff) {
          const set = subs.byKey.get(keyId(c.key))
          if (set === undefined) continue
          const list = byRow.get(set)
          if (list) list.push(c)
          else byRow.set(set, [c])
        }
      for (const [set, diff] of byRow) this.#push(set, diff, version, name)
    }
  }

  #push(subs: Iterable<Subscription>, diff: readonly Change<unknown>[], version: number, source: string): void {
    for (const subscription of subs) this.#queue.push({ subscription, diff, version, source })
  }

  /**
   * Delivers queued notifications in order. A listener that commits a transaction only queues that
   * commit's notifications; they are delivered after every listener has heard of the current one.
   */
  deliver(): void {
    if (this.#delivering) return
    this.#delivering = true
    try {
      for (let i = 0; i < this.#queue.length; i++) {
        const n = this.#queue[i]!
        if (!n.subscription.active) continue
        try {
          n.subscription.listener(n.diff, n.version)
        } catch (error) {
          this.#onError(error, n.source)
        }
      }
    } finally {
      this.#queue = []
      this.#delivering = false
    }
  }
}
