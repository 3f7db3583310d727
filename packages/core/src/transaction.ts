import { produce, type Draft } from 'immer'
import { DuplicateKeyError, InvalidRowError, MissingKeyError, UsageError } from './errors'
import { isKey, keyId, type Key, type KeyId } from './key'
import type { Collection, Source } from './relation'
import { deepEqual, type Change, type Delta, type KeyedZSet } from './zset'

interface PendingRow {
  readonly key: Key
  /** The committed row (undefined when absent before the transaction). */
  readonly before: unknown
  /** The row as the transaction leaves it (undefined when deleted). */
  after: unknown
}

/**
 * The handle a `store.transact` callback changes collections through. Changes are buffered and checked
 * as they are made (duplicate insert, missing key); reads through `get` see them. Nothing reaches the
 * circuit until the callback returns; if it throws, nothing is applied at all.
 */
export class Transaction {
  readonly #pending = new Map<Source, Map<KeyId, PendingRow>>()
  readonly #table: (source: Source) => KeyedZSet<unknown>
  #open = true

  /** @internal Created by the store. */
  constructor(table: (source: Source) => KeyedZSet<unknown>) {
    this.#table = table
  }

  /** Inserts one row or an array of rows; a key that already exists fails the transaction. */
  insert<T>(collection: Collection<T>, rows: NoInfer<T> | readonly NoInfer<T>[]): void {
    for (const row of this.#rows(rows)) {
      const pending = this.#locate(collection, row)
      if (pending.after !== undefined) throw new DuplicateKeyError(collection.name, pending.key)
      pending.after = row
    }
  }

  /** Inserts rows, replacing any row that has the same key. */
  upsert<T>(collection: Collection<T>, rows: NoInfer<T> | readonly NoInfer<T>[]): void {
    for (const row of this.#rows(rows)) this.#locate(collection, row).after = row
  }

  /**
   * Changes the row under `key`: with an immer recipe that edits a draft (unchanged sub-objects keep their
   * identity), or with a partial object whose fields replace the row's. The primary key must not change.
   */
  update<T>(collection: Collection<T>, key: Key, change: ((draft: Draft<T>) => void) | Partial<NoInfer<T>>): void {
    const pending = this.#pendingOf(collection, key)
    const current = pending.after as T | undefined
    if (current === undefined) throw new MissingKeyError(collection.name, key, 'update')
    const next = typeof change === 'function' ? (produce(current, change as (draft: Draft<T>) => void) as T) : merged(current, change)
    const newKey = collection.source.key(next)
    if (!isKey(newKey) || keyId(newKey) !== keyId(key))
      throw new InvalidRowError(collection.name, `update of key ${JSON.stringify(key)} may not change the primary key`)
    pending.after = next
  }

  /** Deletes the row under `key`; a missing key fails the transaction. */
  delete<T>(collection: Collection<T>, key: Key): void {
    const pending = this.#pendingOf(collection, key)
    if (pending.after === undefined) throw new MissingKeyError(collection.name, key, 'delete')
    pending.after = undefined
  }

  /** The row under `key` as this transaction sees it (its own changes included). */
  get<T>(collection: Collection<T>, key: Key): T | undefined {
    this.#check()
    const id = keyId(key)
    const pending = this.#pending.get(collection.source)?.get(id)
    return (pending ? pending.after : this.#table(collection.source).entries.get(id)?.row) as T | undefined
  }

  /** @internal The transaction's net input changes, per collection; closes the transaction. */
  close(): Map<Source, Delta<unknown>> {
    this.#open = false
    const deltas = new Map<Source, Delta<unknown>>()
    for (const [source, rows] of this.#pending) {
      const delta: Change<unknown>[] = []
      for (const { key, before, after } of rows.values()) {
        // An update to an equal row changes nothing: the stored row keeps its identity, no diff, no version.
        if (deepEqual(before, after)) continue
        if (before !== undefined) delta.push({ key, row: before, weight: -1 })
        if (after !== undefined) delta.push({ key, row: after, weight: 1 })
      }
      if (delta.length > 0) deltas.set(source, delta)
    }
    return deltas
  }

  /** @internal Ends the transaction without applying it. */
  abandon(): void {
    this.#open = false
  }

  #rows<T>(rows: T | readonly T[]): readonly T[] {
    this.#check()
    return Array.isArray(rows) ? (rows as readonly T[]) : [rows as T]
  }

  #check(): void {
    if (!this.#open) throw new UsageError('this transaction has ended: use the tx only inside its transact callback')
  }

  #locate<T>(collection: Collection<T>, row: T): PendingRow {
    if (typeof row !== 'object' || row === null)
      throw new InvalidRowError(collection.name, `a row must be an object, got ${row === null ? 'null' : typeof row}`)
    const key = collection.source.key(row)
    if (!isKey(key))
      throw new InvalidRowError(collection.name, `the primary key of ${JSON.stringify(row)} is ${String(key)}, not a string, number, boolean, null or tuple of them`)
    return this.#pendingAt(collection.source, key, keyId(key))
  }

  #pendingOf<T>(collection: Collection<T>, key: Key): PendingRow {
    this.#check()
    if (!isKey(key)) throw new InvalidRowError(collection.name, `${String(key)} is not a key`)
    return this.#pendingAt(collection.source, key, keyId(key))
  }

  #pendingAt(source: Source, key: Key, id: KeyId): PendingRow {
    let rows = this.#pending.get(source)
    if (rows === undefined) this.#pending.set(source, (rows = new Map()))
    let pending = rows.get(id)
    if (pending === undefined) {
      const before = this.#table(source).entries.get(id)?.row
      rows.set(id, (pending = { key, before, after: before }))
    }
    return pending
  }
}

/**
 * `{ ...row, ...change }`, written as a clone and then stores: V8 clones an object of a known shape in one
 * step, where a spread of two objects goes through its generic (slower) path.
 */
function merged<T>(row: T, change: Partial<T>): T {
  const next = { ...row }
  for (const k in change) if (Object.prototype.hasOwnProperty.call(change, k)) next[k] = change[k] as T[typeof k]
  return next
}
