import { BTree, bulkLoad } from './btree'
import { compareValues, keyId, type Key, type KeyId } from './key'
import type { Order } from './relation'
import type { UndoLog } from './undo'
import { KeyedZSet, type Delta } from './zset'

/** Where a row sits in an order: its sort value, then its key to break ties. */
export interface SortKey {
  readonly value: unknown
  readonly key: Key
}

/**
 * A row placed in sorted state: the first row of its key while that row's weight is positive. It is its
 * own sort key in the tree (a SortKey by its value and key), so a placed row costs one object.
 */
export interface SortedEntry<T> extends SortKey {
  readonly id: KeyId
  row: T
}

/** From this many changes, a delta into an empty `SortedRows` goes in through `fill` (one sort), not `add`. */
export const FILL_AT = 64

/** The comparator of an order: by value in its direction, then by key ascending (deterministic ties). */
export function sortKeyComparator(direction: 'asc' | 'desc'): (a: SortKey, b: SortKey) => number {
  const sign = direction === 'asc' ? 1 : -1
  // Numbers and strings, the usual sort values and keys, are compared inline before the general order.
  return (a, b) => {
    const x = a.value
    const y = b.value
    const c = typeof x === typeof y && (typeof x === 'number' || typeof x === 'string') ? ((x as number) < (y as number) ? -1 : (x as number) > (y as number) ? 1 : 0) : compareValues(x, y)
    if (c !== 0) return sign * c
    const k = a.key
    const l = b.key
    if (typeof k === typeof l && (typeof k === 'number' || typeof k === 'string')) return (k as number) < (l as number) ? -1 : (k as number) > (l as number) ? 1 : 0
    return compareValues(k, l)
  }
}

/**
 * A keyed Z-set (same identity rules as `KeyedZSet`) whose rows are also kept in sort order in a B+
 * tree: O(log n) per change and in-order iteration from the start.
 */
export class SortedRows<T> {
  readonly rows = new KeyedZSet<T>()
  tree: BTree<SortedEntry<T>, SortedEntry<T>>
  readonly byId = new Map<KeyId, SortedEntry<T>>()
  readonly compare: (a: SortKey, b: SortKey) => number

  constructor(readonly order: Order) {
    this.compare = sortKeyComparator(order.direction)
    this.tree = new BTree<SortedEntry<T>, SortedEntry<T>>(undefined, this.compare)
  }

  get size(): number {
    return this.byId.size
  }

  /**
   * Adds `weight` of `row` under `key`; returns the sort keys where the key's placed row left and
   * arrived (none when its placement did not change), so callers can tell whether a window moved.
   */
  add(key: Key, id: KeyId, row: T, weight: number, undo: UndoLog): readonly SortKey[] {
    this.rows.add(key, id, row, weight, undo)
    const entry = this.rows.entries.get(id)
    const target = entry && entry.weight > 0 ? entry.row : undefined
    const placed = this.byId.get(id)
    if (placed?.row === target) return []
    const touched: SortKey[] = []
    if (placed) {
      this.#remove(placed, undo)
      touched.push(placed)
    }
    if (target !== undefined) {
      const entry: SortedEntry<T> = { value: this.order.value(target), key, id, row: target }
      this.#put(entry, undo)
      touched.push(entry)
    }
    return touched
  }

  /**
   * Adds a delta to an empty set, with the same outcome as `add` change by change, but the tree is built
   * once from the rows sorted in an array: one sort and a bottom-up load instead of a descent per row.
   */
  fill(changes: Delta<T>, undo: UndoLog): void {
    const rows = this.rows
    for (const c of changes) rows.add(c.key, keyId(c.key), c.row, c.weight, undo)
    const placed: SortedEntry<T>[] = []
    const value = this.order.value
    for (const [id, e] of rows.entries) if (e.weight > 0) placed.push({ value: value(e.row), key: e.key, id, row: e.row })
    const compare = this.compare
    placed.sort(compare)
    this.tree = bulkLoad(placed, placed, compare)
    for (const e of placed) this.byId.set(e.id, e)
    if (undo.active)
      undo.record(() => {
        this.tree = new BTree<SortedEntry<T>, SortedEntry<T>>(undefined, compare)
        this.byId.clear()
      })
  }

  #put(entry: SortedEntry<T>, undo: UndoLog): void {
    this.tree.set(entry, entry)
    this.byId.set(entry.id, entry)
    if (undo.active)
      undo.record(() => {
        this.tree.delete(entry)
        this.byId.delete(entry.id)
      })
  }

  #remove(entry: SortedEntry<T>, undo: UndoLog): void {
    this.tree.delete(entry)
    this.byId.delete(entry.id)
    if (undo.active)
      undo.record(() => {
        this.tree.set(entry, entry)
        this.byId.set(entry.id, entry)
      })
  }

  /** Rows in order. */
  toArray(): T[] {
    const out: T[] = []
    for (const e of this.tree.values()) out.push(e.row)
    return out
  }
}
