import { produce, type Draft } from 'immer'
import { DuplicateKeyError, InvalidRowError, MissingKeyError, UsageError } from './errors'
import { isKey, keyId, type Key, type KeyId } from './key'
import type { Collection, Source } from './relation'
import type { Table } from './store'
import { bulkChange, change, deepEqual, type Change, type Delta } from './zset'

/** A key the transaction changed: its committed row and the row the transaction leaves. */
class PendingRow {
  /** The row as the transaction leaves it (undefined when deleted). */
  after: unknown

  constructor(
    readonly key: Key,
    /** The committed row (undefined when absent before the transaction). */
    readonly before: unknown,
  ) {
    this.after = before
  }
}

/**
 * The handle a `store.transact` callback changes collections through. Changes are buffered and checked
 * as they are made (duplicate insert, missing key); reads through `get` see them. Nothing reaches the
 * circuit until the callback returns; if it throws, nothing is applied at all.
 */
export class Transaction {
  /**
   * Per collection, in the order this transaction first touched them (the order of `close`'s deltas): its
   * pending rows by key or, for a collection that was empty then, the new table its changes build. With
   * no committed row to compare against, a row of an empty collection needs no pending record, and the
   * store adopts the table at commit instead of adding the rows to its own. A row deleted from such a
   * table stays, as `GONE`, until `close`, so a key deleted and inserted again keeps its place.
   *
   * The first collection is held in fields, the others in two arrays searched from the end, not in a
   * `Map`: a transaction touches a few collections, most of them one, and a map (~200 bytes) or two
   * arrays would cost a single-row transaction more than its pending row does.
   */
  #firstSource: Source | undefined = undefined
  #first: Pending | undefined = undefined
  #sources: Source[] | undefined = undefined
  #touched: Pending[] | undefined = undefined
  readonly #table: (source: Source) => Table
  #open = true

  /** @internal Created by the store. */
  constructor(table: (source: Source) => Table) {
    this.#table = table
  }

  /** Inserts one row or an array of rows; a key that already exists fails the transaction. */
  insert<T>(collection: Collection<T>, rows: NoInfer<T> | readonly NoInfer<T>[]): void {
    this.#write(collection, rows, false)
  }

  /** Inserts rows, replacing any row that has the same key. */
  upsert<T>(collection: Collection<T>, rows: NoInfer<T> | readonly NoInfer<T>[]): void {
    this.#write(collection, rows, true)
  }

  /**
   * Changes the row under `key`: with an immer recipe that edits a draft (unchanged sub-objects keep their
   * identity), or with a partial object whose fields replace the row's. The primary key must not change.
   */
  update<T>(collection: Collection<T>, key: Key, change: ((draft: Draft<T>) => void) | Partial<NoInfer<T>>): void {
    const id = this.#idOf(collection, key)
    const fresh = this.#freshOf(collection.source)
    if (fresh === undefined) {
      const pending = this.#pendingAt(collection.source, key, id)
      if (pending.after === undefined) throw new MissingKeyError(collection.name, key, 'update')
      pending.after = changed(collection, key, pending.after as T, change)
      return
    }
    const current = fresh.get(id)
    if (current === undefined) throw new MissingKeyError(collection.name, key, 'update')
    fresh.set(id, changed(collection, key, current as T, change))
  }

  /** Deletes the row under `key`; a missing key fails the transaction. */
  delete<T>(collection: Collection<T>, key: Key): void {
    const id = this.#idOf(collection, key)
    const fresh = this.#freshOf(collection.source)
    if (fresh === undefined) {
      const pending = this.#pendingAt(collection.source, key, id)
      if (pending.after === undefined) throw new MissingKeyError(collection.name, key, 'delete')
      pending.after = undefined
      return
    }
    if (!fresh.has(id)) throw new MissingKeyError(collection.name, key, 'delete')
    fresh.delete(id)
  }

  /** The row under `key` as this transaction sees it (its own changes included). */
  get<T>(collection: Collection<T>, key: Key): T | undefined {
    this.#check()
    const id = keyId(key)
    const source = collection.source
    const touched = this.#touchedOf(source)
    if (touched instanceof FreshTable) return touched.get(id) as T | undefined
    const pending = touched?.get(id)
    return (pending ? pending.after : this.#table(source).get(id)) as T | undefined
  }

  /** @internal The transaction's net input changes, per collection; closes the transaction. */
  close(): Map<Source, Delta<unknown>> {
    this.#open = false
    const deltas = new Map<Source, Delta<unknown>>()
    if (this.#firstSource === undefined) return deltas
    closeInto(deltas, this.#firstSource, this.#first!)
    const sources = this.#sources
    if (sources !== undefined) for (let i = 0; i < sources.length; i++) closeInto(deltas, sources[i]!, this.#touched![i]!)
    return deltas
  }

  /**
   * @internal The new table of a collection that was empty before this transaction (after `close`): it
   * holds exactly the rows of the collection's delta, for the store to adopt as the collection's table.
   */
  builtTable(source: Source): Table | undefined {
    const touched = this.#touchedOf(source)
    return touched instanceof FreshTable ? touched.rows : undefined
  }

  /** @internal Ends the transaction without applying it. */
  abandon(): void {
    this.#open = false
  }

  /** Writes rows under their keys; unless `replace`, a key that holds a row fails the transaction. */
  #write<T>(collection: Collection<T>, rows: T | readonly T[], replace: boolean): void {
    const list = this.#rows(rows)
    const fresh = this.#freshOf(collection.source)
    // By index: a build's insert of every row runs this loop once, long before it is optimized, and an
    // unoptimized for-of makes an iterator result per row.
    for (let i = 0; i < list.length; i++) {
      const row = list[i]!
      const key = this.#keyOf(collection, row)
      const id = keyId(key)
      if (fresh === undefined) {
        const pending = this.#pendingAt(collection.source, key, id)
        if (!replace && pending.after !== undefined) throw new DuplicateKeyError(collection.name, key)
        pending.after = row
      } else {
        if (!replace && fresh.has(id)) throw new DuplicateKeyError(collection.name, key)
        fresh.set(id, row)
      }
    }
  }

  #rows<T>(rows: T | readonly T[]): readonly T[] {
    this.#check()
    return Array.isArray(rows) ? (rows as readonly T[]) : [rows as T]
  }

  #check(): void {
    if (!this.#open) throw new UsageError('this transaction has ended: use the tx only inside its transact callback')
  }

  /** The table this transaction builds for `source`, if the collection was empty when first touched. */
  #freshOf(source: Source): FreshTable | undefined {
    const touched = this.#touchedOf(source)
    if (touched !== undefined) return touched instanceof FreshTable ? touched : undefined
    if (this.#table(source).size > 0) return undefined
    const table = new FreshTable()
    this.#touch(source, table)
    return table
  }

  /** What this transaction holds for `source`, if it touched it. */
  #touchedOf(source: Source): Pending | undefined {
    if (this.#firstSource === source) return this.#first
    const sources = this.#sources
    if (sources !== undefined) for (let i = sources.length - 1; i >= 0; i--) if (sources[i] === source) return this.#touched![i]
    return undefined
  }

  /** Records what this transaction holds for `source`, which it had not touched. */
  #touch(source: Source, pending: Pending): void {
    if (this.#firstSource === undefined) {
      this.#firstSource = source
      this.#first = pending
      return
    }
    ;(this.#sources ??= []).push(source)
    ;(this.#touched ??= []).push(pending)
  }

  #keyOf<T>(collection: Collection<T>, row: T): Key {
    if (typeof row !== 'object' || row === null)
      throw new InvalidRowError(collection.name, `a row must be an object, got ${row === null ? 'null' : typeof row}`)
    const key = collection.source.key(row)
    if (!isKey(key))
      throw new InvalidRowError(collection.name, `the primary key of ${JSON.stringify(row)} is ${String(key)}, not a string, number, boolean, null or tuple of them`)
    return key
  }

  #idOf<T>(collection: Collection<T>, key: Key): KeyId {
    this.#check()
    if (!isKey(key)) throw new InvalidRowError(collection.name, `${String(key)} is not a key`)
    return keyId(key)
  }

  #pendingAt(source: Source, key: Key, id: KeyId): PendingRow {
    let rows = this.#touchedOf(source) as PendingRows | undefined
    if (rows === undefined) {
      rows = new PendingRows()
      this.#touch(source, rows)
    }
    let pending = rows.get(id)
    if (pending === undefined) {
      const before = this.#table(source).get(id)
      rows.set(id, (pending = new PendingRow(key, before)))
    }
    return pending
  }
}

const GONE: unique symbol = Symbol('deleted in this transaction')

/**
 * The table a transaction builds for a collection that was empty: rows by key id. A deleted row's slot
 * holds `GONE` until `close`, so that a key inserted again keeps the place it was first given.
 */
class FreshTable {
  readonly rows: Table = new Map()
  #deletes = 0

  has(id: KeyId): boolean {
    const row = this.rows.get(id)
    return row !== undefined && row !== GONE
  }

  get(id: KeyId): unknown {
    const row = this.rows.get(id)
    return row === GONE ? undefined : row
  }

  set(id: KeyId, row: unknown): void {
    this.rows.set(id, row)
  }

  delete(id: KeyId): void {
    this.rows.set(id, GONE)
    this.#deletes++
  }

  /**
   * Drops the deleted rows' slots; returns every row as an insert. Into an array of the final size, by
   * `forEach`: `Array.from` over the map's iterator grows its array and makes a result object per row.
   *
   * The changes are `bulkChange`s whatever their number: a fresh table is a collection's first load,
   * large as a rule, and every change of it lives to its step's end. Constructed, each was copied by
   * every scavenge of the build until promoted: Q4's build at N = 100k spent ~220 of ~620 ms in
   * scavenges, ~80 with literals (docs/performance-log.md).
   */
  close(source: Source): Change<unknown>[] {
    const rows = this.rows
    if (this.#deletes > 0) for (const [id, row] of rows) if (row === GONE) rows.delete(id)
    const key = source.key
    const out: Change<unknown>[] = new Array(rows.size)
    let i = 0
    rows.forEach((row) => {
      out[i++] = bulkChange(key(row), row, 1)
    })
    return out
  }
}

/**
 * The pending rows of a collection that held rows, by key id. The first is held in fields and a `Map` is
 * made for the second: most transactions change one row, and a map costs more than that row's record.
 */
class PendingRows {
  #id: KeyId = null
  #first: PendingRow | undefined = undefined
  #rows: Map<KeyId, PendingRow> | undefined = undefined

  get(id: KeyId): PendingRow | undefined {
    if (this.#rows !== undefined) return this.#rows.get(id)
    return this.#id === id ? this.#first : undefined
  }

  /** Adds the pending row of a key that has none yet. */
  set(id: KeyId, row: PendingRow): void {
    if (this.#first === undefined) {
      this.#id = id
      this.#first = row
      return
    }
    this.#rows ??= new Map([[this.#id, this.#first]])
    this.#rows.set(id, row)
  }

  /** The net changes: −before/+after per key, nothing for a row left equal to what it was. */
  close(): Change<unknown>[] {
    const delta: Change<unknown>[] = []
    if (this.#rows === undefined) {
      if (this.#first !== undefined) netChange(delta, this.#first)
    } else for (const row of this.#rows.values()) netChange(delta, row)
    return delta
  }
}

type Pending = PendingRows | FreshTable

/** Adds the net changes of what a transaction holds for `source` to `deltas`, unless there are none. */
function closeInto(deltas: Map<Source, Delta<unknown>>, source: Source, pending: Pending): void {
  const delta = pending instanceof FreshTable ? pending.close(source) : pending.close()
  if (delta.length > 0) deltas.set(source, delta)
}

function netChange(delta: Change<unknown>[], { key, before, after }: PendingRow): void {
  // An update to an equal row changes nothing: the stored row keeps its identity, no diff, no version.
  if (deepEqual(before, after)) return
  if (before !== undefined) delta.push(change(key, before, -1))
  if (after !== undefined) delta.push(change(key, after, 1))
}

/** The row `change` makes of `current`, whose primary key it must leave as it is. */
function changed<T>(collection: Collection<T>, key: Key, current: T, change: ((draft: Draft<T>) => void) | Partial<T>): T {
  const next = typeof change === 'function' ? (produce(current, change as (draft: Draft<T>) => void) as T) : merged(current, change)
  const newKey = collection.source.key(next)
  if (!isKey(newKey) || keyId(newKey) !== keyId(key))
    throw new InvalidRowError(collection.name, `update of key ${JSON.stringify(key)} may not change the primary key`)
  return next
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
