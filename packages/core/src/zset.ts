import { keyId, type Key, type KeyId } from './key'
import type { UndoLog } from './undo'

/**
 * One element of a Z-set delta: `row` under `key`, with an integer `weight` (+1 insert, −1 delete;
 * an update is −1 old and +1 new under the same key). Deltas are arrays of changes and need not be
 * consolidated: the same key may appear more than once, and weights add up.
 */
export interface Change<T> {
  readonly key: Key
  readonly row: T
  readonly weight: number
}

/** A Z-set of changes, the unit that flows along every edge of a circuit in one step. */
export type Delta<T> = readonly Change<T>[]

/** Another distinct row held under the same key as an entry's first row. */
export interface OtherRow<T> {
  readonly row: T
  weight: number
}

/**
 * The rows held in integrated state under one key. A well-formed keyed set has one row per key with
 * weight 1; while a step's changes are being added a key may briefly hold several distinct rows (an
 * update's −old/+new, a join's correction terms), and rows that are structurally equal share a weight.
 */
export interface Entry<T> {
  readonly key: Key
  /** The key's first distinct row. */
  row: T
  weight: number
  /** The key's other distinct rows, if any. */
  others: OtherRow<T>[] | undefined
}

/** Calls `fn` with every distinct row of an entry and its weight. */
export function eachRow<T>(entry: Entry<T>, fn: (row: T, weight: number) => void): void {
  fn(entry.row, entry.weight)
  if (entry.others) for (const o of entry.others) fn(o.row, o.weight)
}

/**
 * An integrated Z-set indexed by row key: the state of arrangements, distinct, top-K and view sinks.
 * Element identity is (key, row by `deepEqual`): adding a row equal to one held under its key adds to
 * that row's weight; a different row is held beside it. So the order of changes inside a delta never
 * matters, which a "last write wins" map cannot promise.
 */
export class KeyedZSet<T> {
  readonly entries = new Map<KeyId, Entry<T>>()
  /** Sum of all weights. */
  weight = 0

  get size(): number {
    return this.entries.size
  }

  get(key: Key): Entry<T> | undefined {
    return this.entries.get(keyId(key))
  }

  /** A new entry for `key` holding `row`: a subclass may keep more per key in it (see `SortedRows`). */
  protected entry(key: Key, _id: KeyId, row: T, weight: number): Entry<T> {
    return { key, row, weight, others: undefined }
  }

  /** Adds `weight` of `row` under `key` (whose id is `id`), recording how to undo it. */
  add(key: Key, id: KeyId, row: T, weight: number, undo: UndoLog): void {
    const entries = this.entries
    const entry = entries.get(id)
    this.weight += weight
    if (entry === undefined) {
      entries.set(id, this.entry(key, id, row, weight))
      if (undo.active)
        undo.record(() => {
          entries.delete(id)
          this.weight -= weight
        })
      return
    }
    if (undo.active) {
      const { row: r, weight: w, others } = entry
      const saved = copyOthers(others)
      undo.record(() => {
        entry.row = r
        entry.weight = w
        entry.others = saved
        entries.set(id, entry)
        this.weight -= weight
      })
    }
    if (!addToEntry(entry, row, weight)) entries.delete(id)
  }
}

/** A copy of an entry's other rows, for undo. */
export function copyOthers<T>(others: OtherRow<T>[] | undefined): OtherRow<T>[] | undefined {
  return others?.map((o) => ({ row: o.row, weight: o.weight }))
}

/**
 * Adds `weight` of `row` to the rows of an entry (a row structurally equal to one it holds adds to that
 * row's weight). Returns false when the entry is left holding no row.
 */
export function addToEntry<T>(entry: Entry<T>, row: T, weight: number): boolean {
  if (entry.row === row || deepEqual(entry.row, row)) entry.weight += weight
  else {
    const others = (entry.others ??= [])
    const other = others.find((o) => o.row === row || deepEqual(o.row, row))
    if (other === undefined) others.push({ row, weight })
    else if ((other.weight += weight) === 0) others.splice(others.indexOf(other), 1)
    if (others.length === 0) entry.others = undefined
  }
  if (entry.weight !== 0) return true
  const next = entry.others?.shift()
  if (next === undefined) return false
  entry.row = next.row
  entry.weight = next.weight
  if (entry.others!.length === 0) entry.others = undefined
  return true
}

/** The changes of a delta grouped by `groupOf` (a partition, a top-K group), in first-seen order. */
export function groupChanges<T>(delta: Delta<T>, groupOf: (change: Change<T>) => KeyId): Map<KeyId, Change<T>[]> {
  const groups = new Map<KeyId, Change<T>[]>()
  for (const c of delta) {
    const id = groupOf(c)
    const list = groups.get(id)
    if (list === undefined) groups.set(id, [c])
    else list.push(c)
  }
  return groups
}

/**
 * Every row of some keyed sets with its weight, as a delta: the saved form of state that integrates its
 * input (arrangements, distinct, top-K), which loads back by stepping it.
 */
export function savedRows<T>(sets: Iterable<KeyedZSet<T>>): Change<T>[] {
  const out: Change<T>[] = []
  for (const set of sets)
    for (const e of set.entries.values()) eachRow(e, (row, weight) => out.push({ key: e.key, row, weight }))
  return out
}

/**
 * Structural equality of rows: primitives by `Object.is`, arrays and plain objects member by member,
 * dates by time. Used where a view decides whether an updated row really changed, so an update that
 * produces an equal row keeps the old object (and its identity for UI memoization).
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false
    return true
  }
  if (Array.isArray(b)) return false
  if (a instanceof Date || b instanceof Date)
    return a instanceof Date && b instanceof Date && a.getTime() === b.getTime()
  // for-in rather than Object.keys: no arrays allocated on the update path, which compares every
  // updated row with the one it replaces.
  const ra = a as Record<string, unknown>
  const rb = b as Record<string, unknown>
  let n = 0
  for (const k in ra) {
    if (!hasOwn.call(ra, k)) continue
    if (!hasOwn.call(rb, k) || !deepEqual(ra[k], rb[k])) return false
    n++
  }
  for (const k in rb) if (hasOwn.call(rb, k) && --n < 0) return false
  return n === 0
}

const hasOwn = Object.prototype.hasOwnProperty
