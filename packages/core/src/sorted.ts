import { BTree } from './btree'
import { compareValues, type Key, type KeyId } from './key'
import type { Order } from './relation'
import type { UndoLog } from './undo'
import { KeyedZSet } from './zset'

/** Where a row sits in an order: its sort value, then its key to break ties. */
export interface SortKey {
  readonly value: unknown
  readonly key: Key
}

/** A row placed in sorted state: the first row of its key while that row's weight is positive. */
export interface SortedEntry<T> {
  readonly key: Key
  readonly id: KeyId
  readonly sortKey: SortKey
  row: T
}

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
  readonly tree: BTree<SortKey, SortedEntry<T>>
  readonly byId = new Map<KeyId, SortedEntry<T>>()
  readonly compare: (a: SortKey, b: SortKey) => number

  constructor(readonly order: Order) {
    this.compare = sortKeyComparator(order.direction)
    this.tree = new BTree<SortKey, SortedEntry<T>>(undefined, this.compare)
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
      touched.push(placed.sortKey)
    }
    if (target !== undefined) {
      const sortKey = { value: this.order.value(target), key }
      this.#put({ key, id, sortKey, row: target }, undo)
      touched.push(sortKey)
    }
    return touched
  }

  #put(entry: SortedEntry<T>, undo: UndoLog): void {
    this.tree.set(entry.sortKey, entry)
    this.byId.set(entry.id, entry)
    if (undo.active)
      undo.record(() => {
        this.tree.delete(entry.sortKey)
        this.byId.delete(entry.id)
      })
  }

  #remove(entry: SortedEntry<T>, undo: UndoLog): void {
    this.tree.delete(entry.sortKey)
    this.byId.delete(entry.id)
    if (undo.active)
      undo.record(() => {
        this.tree.set(entry.sortKey, entry)
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
