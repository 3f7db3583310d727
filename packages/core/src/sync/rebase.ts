import { keyId, type Key, type KeyId } from '../key'
import type { Collection, Source } from '../relation'
import type { Store } from '../store'
import type { Transaction } from '../transaction'
import { deepEqual } from '../zset'

/** A mutator as the rebase re-runs it. */
export type Replay = (tx: Transaction, args: unknown) => void

/** A mutation the server has not answered: re-applied on top of every new confirmed state. */
export interface Pending {
  readonly name: string
  readonly args: unknown
}

type KeySet = Map<Source, Map<KeyId, Key>>

interface Confirmed {
  readonly key: Key
  row: unknown
  /** How many subscriptions hold the row (two views may deliver the same key into one collection). */
  holders: number
}

/**
 * The rows the server confirmed, kept apart from the store, and the rebase that puts the store back
 * together: confirmed rows with every pending mutation applied on top.
 *
 * Invariant: for a key outside `#touched`, the store's row is the confirmed row. A change of a synced
 * collection (an optimistic mutation) adds its keys to `#touched`; `rebase` resets every touched or
 * newly confirmed key to its confirmed row and re-runs the pending mutators, all in one transaction, so
 * subscribers never see a state without a mutation the server has not answered.
 */
export class LocalRows {
  readonly #store: Store
  readonly #mutator: (name: string) => Replay | undefined
  readonly #confirmed = new Map<Source, Map<KeyId, Confirmed>>()
  readonly #collections = new Map<Source, Collection<unknown>>()
  readonly #unlisten: (() => void)[] = []
  #touched: KeySet = new Map()
  /** Keys whose confirmed row changed since the last rebase. */
  #changed: KeySet = new Map()

  constructor(store: Store, mutator: (name: string) => Replay | undefined) {
    this.#store = store
    this.#mutator = mutator
  }

  /** Starts following a synced collection (once per collection). */
  track(collection: Collection<unknown>): void {
    const source = collection.source
    if (this.#collections.has(source)) return
    this.#collections.set(source, collection)
    this.#unlisten.push(
      this.#store.subscribe(collection, (diff) => {
        for (const c of diff) add(this.#touched, source, keyId(c.key), c.key)
      }),
    )
  }

  /** Confirms `row` under `key` for one subscription, whose keys are `held`. */
  hold(held: Map<KeyId, Key>, collection: Collection<unknown>, key: Key, row: unknown): void {
    const source = collection.source
    const id = keyId(key)
    let rows = this.#confirmed.get(source)
    if (rows === undefined) this.#confirmed.set(source, (rows = new Map()))
    const found = rows.get(id)
    if (found === undefined) rows.set(id, { key, row, holders: 1 })
    else {
      found.row = row
      if (!held.has(id)) found.holders++
    }
    held.set(id, key)
    add(this.#changed, source, id, key)
  }

  /** Withdraws one subscription's confirmation of the row under `key`. */
  release(held: Map<KeyId, Key>, collection: Collection<unknown>, id: KeyId, key: Key): void {
    if (!held.delete(id)) return
    const source = collection.source
    const rows = this.#confirmed.get(source)
    const found = rows?.get(id)
    if (rows === undefined || found === undefined) return
    if (--found.holders === 0) rows.delete(id)
    add(this.#changed, source, id, key)
  }

  /**
   * The rebase: in one transaction, every key that changed or that a pending mutation may have touched
   * goes back to its confirmed row, then the pending mutators run again in order. A mutator that now
   * throws is left out (it stays pending: the server decides) and the transaction is retried without it.
   * Throws only when even the confirmed rows alone cannot be applied (a client view failed on them).
   */
  rebase(pending: readonly Pending[]): void {
    const candidates = union(this.#touched, this.#changed)
    this.#changed = new Map()
    if (candidates.size === 0 && pending.length === 0) return
    const skipped = new Set<Pending>()
    for (;;) {
      let running: Pending | undefined
      try {
        this.#store.transact((tx) => {
          this.#reset(tx, candidates)
          for (const p of pending) {
            if (skipped.has(p)) continue
            running = p
            this.#mutator(p.name)?.(tx, p.args)
          }
          running = undefined
        })
        break
      } catch (error) {
        if (running !== undefined) skipped.add(running)
        else if (skipped.size < pending.length) for (const p of pending) skipped.add(p)
        else throw error
      }
    }
    // Keep only the keys where the store now differs from the confirmed rows.
    const next: KeySet = new Map()
    for (const [source, keys] of union(candidates, this.#touched)) {
      const collection = this.#collections.get(source)!
      const rows = this.#confirmed.get(source)
      for (const [id, key] of keys) {
        const row = this.#store.get(collection, key)
        const held = rows?.get(id)
        const same = held === undefined ? row === undefined : row === held.row || deepEqual(row, held.row)
        if (!same) add(next, source, id, key)
      }
    }
    this.#touched = next
  }

  /** Stops following the collections. */
  close(): void {
    for (const stop of this.#unlisten) stop()
  }

  #reset(tx: Transaction, keys: KeySet): void {
    for (const [source, ids] of keys) {
      const collection = this.#collections.get(source)!
      const rows = this.#confirmed.get(source)
      for (const [id, key] of ids) {
        const held = rows?.get(id)
        const current = tx.get(collection, key)
        if (held !== undefined) {
          if (current !== held.row) tx.upsert(collection, held.row)
        } else if (current !== undefined) tx.delete(collection, key)
      }
    }
  }
}

function add(set: KeySet, source: Source, id: KeyId, key: Key): void {
  let keys = set.get(source)
  if (keys === undefined) set.set(source, (keys = new Map()))
  keys.set(id, key)
}

function union(a: KeySet, b: KeySet): KeySet {
  const out: KeySet = new Map()
  for (const set of [a, b]) for (const [source, keys] of set) for (const [id, key] of keys) add(out, source, id, key)
  return out
}
