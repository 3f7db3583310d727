import { BTree } from './btree'
import { compareValues, type Key, type KeyId } from './key'
import type { Order } from './relation'
import type { UndoLog } from './undo'

/** Where a row sits in an order: its sort value, then its key to break ties. */
export interface SortKey {
  readonly value: unknown
  readonly key: Key
}

/** A row held in sorted state. */
export interface SortedEntry<T> {
  readonly key: Key
  readonly id: KeyId
  readonly sortKey: SortKey
  row: T
  weight: number
}

/** The comparator of an order: by value in its direction, then by key ascending (deterministic ties). */
export function sortKeyComparator(direction: 'asc' | 'desc'): (a: SortKey, b: SortKey) => number {
  const sign = direction === 'asc' ? 1 : -1
  return (a, b) => sign * compareValues(a.value, b.value) || compareValues(a.key, b.key)
}

/**
 * A keyed Z-set kept in sort order (a B+ tree): O(log n) per change, in-order iteration from the start.
 * Same "latest insert wins" rule as `KeyedZSet`; a row whose sort value changed moves.
 */
export class SortedRows<T> {
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
   * Adds `weight` of `row` under `key`; returns the sort keys the change touched (where the row was,
   * where it is now), so callers can tell whether a window of the order moved.
   */
  add(key: Key, id: KeyId, row: T, weight: number, undo: UndoLog): readonly SortKey[] {
    const old = this.byId.get(id)
    if (old === undefined) {
      const entry: SortedEntry<T> = { key, id, sortKey: { value: this.order.value(row), key }, row, weight }
      this.#put(entry, undo)
      return [entry.sortKey]
    }
    const w = old.weight + weight
    if (w === 0) {
      this.#remove(old, undo)
      return [old.sortKey]
    }
    if (weight < 0) {
      old.weight = w
      if (undo.active) undo.record(() => (old.weight = w - weight))
      return []
    }
    // A positive weight on a present key: the new row replaces the old one, possibly elsewhere.
    const entry: SortedEntry<T> = { key, id, sortKey: { value: this.order.value(row), key }, row, weight: w }
    this.#remove(old, undo)
    this.#put(entry, undo)
    return [old.sortKey, entry.sortKey]
  }

  #put(entry: SortedEntry<T>, undo: UndoLog): void {
    const id = entry.id
    this.tree.set(entry.sortKey, entry)
    this.byId.set(id, entry)
    if (undo.active)
      undo.record(() => {
        this.tree.delete(entry.sortKey)
        this.byId.delete(id)
      })
  }

  #remove(entry: SortedEntry<T>, undo: UndoLog): void {
    const id = entry.id
    this.tree.delete(entry.sortKey)
    this.byId.delete(id)
    if (undo.active)
      undo.record(() => {
        this.tree.set(entry.sortKey, entry)
        this.byId.set(id, entry)
      })
  }

  /** Rows in order (each once, whatever its weight). */
  rows(): T[] {
    const out: T[] = []
    for (const e of this.tree.values()) out.push(e.row)
    return out
  }
}

