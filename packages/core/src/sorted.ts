import { BTree, bulkLoad } from './btree'
import { compareValues, keyId, type Key, type KeyId } from './key'
import type { Order } from './relation'
import type { UndoLog } from './undo'
import { Entry, KeyedZSet, type Delta } from './zset'

/** Where a row sits in an order: its sort value, then its key to break ties. */
export interface SortKey {
  readonly value: unknown
  readonly key: Key
}

/**
 * A key's entry in sorted rows: its rows (as in any keyed Z-set) and, while its first row has a positive
 * weight, that row's place in the tree. The entry is its own sort key there (by `value`, then `key`), so
 * a sorted row costs one object and one map entry.
 */
export class SortedEntry<T> extends Entry<T> {
  /** The sort value of `row`, set when the entry is placed; unchanged while it is in the tree. */
  value: unknown = undefined
  placed = false

  constructor(
    key: Key,
    readonly id: KeyId,
    row: T,
    weight: number,
  ) {
    super(key, row, weight, undefined)
  }
}

/** A keyed Z-set whose entries can be placed in a tree: every key holds an entry, never a bare row. */
class SortedZSet<T> extends KeyedZSet<T> {
  declare readonly slots: Map<KeyId, SortedEntry<T>>
  protected override readonly holdsBare = false

  protected override entry(key: Key, id: KeyId, row: T, weight: number): SortedEntry<T> {
    return new SortedEntry(key, id, row, weight)
  }
}

const NOTHING_MOVED: readonly SortKey[] = []

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
  readonly rows: KeyedZSet<T> = new SortedZSet<T>()
  tree: BTree<SortedEntry<T>, SortedEntry<T>>
  readonly compare: (a: SortKey, b: SortKey) => number

  constructor(readonly order: Order) {
    this.compare = sortKeyComparator(order.direction)
    this.tree = new BTree<SortedEntry<T>, SortedEntry<T>>(undefined, this.compare)
  }

  /** Rows placed in the tree. */
  get size(): number {
    return this.tree.size
  }

  /**
   * Adds `weight` of `row` under `key`; returns the sort keys where the key's placed row left and
   * arrived (none when its placement did not change), so callers can tell whether a window moved.
   */
  add(key: Key, id: KeyId, row: T, weight: number, undo: UndoLog): readonly SortKey[] {
    const entries = (this.rows as SortedZSet<T>).slots
    const before = entries.get(id)
    const placedRow = before?.placed ? before.row : undefined
    this.rows.add(key, id, row, weight, undo)
    const after = entries.get(id)
    const target = after !== undefined && after.weight > 0 ? after.row : undefined
    if (before === after && placedRow === target) return NOTHING_MOVED
    const touched: SortKey[] = []
    if (before?.placed) {
      // `before` may have left the map (its weight reached zero): it is still in the tree until here. If
      // it is placed again below, its old place is copied first; otherwise it keeps its old sort key.
      touched.push(before === after ? { value: before.value, key: before.key } : before)
      this.#remove(before, undo)
    }
    if (target !== undefined) {
      this.#place(after!, undo)
      touched.push(after!)
    }
    return touched
  }

  /**
   * Adds a delta to an empty set, with the same outcome as `add` change by change, but the tree is built
   * once from the rows sorted in an array: one sort and a bottom-up load instead of a descent per row.
   */
  fill(changes: Delta<T>, undo: UndoLog): void {
    const rows = this.rows as SortedZSet<T>
    for (const c of changes) rows.add(c.key, keyId(c.key), c.row, c.weight, undo)
    const placed: SortedEntry<T>[] = []
    const value = this.order.value
    for (const e of rows.slots.values())
      if (e.weight > 0) {
        e.value = value(e.row)
        placed.push(e)
      }
    const compare = this.compare
    placed.sort(compare)
    this.tree = bulkLoad(placed, placed, compare)
    for (const e of placed) e.placed = true
    if (undo.active)
      undo.record(() => {
        this.tree = new BTree<SortedEntry<T>, SortedEntry<T>>(undefined, compare)
        for (const e of placed) e.placed = false
      })
  }

  #place(entry: SortedEntry<T>, undo: UndoLog): void {
    const value = this.order.value(entry.row)
    const old = entry.value
    entry.value = value
    entry.placed = true
    this.tree.set(entry, entry)
    if (undo.active)
      undo.record(() => {
        this.tree.delete(entry)
        entry.placed = false
        entry.value = old
      })
  }

  #remove(entry: SortedEntry<T>, undo: UndoLog): void {
    this.tree.delete(entry)
    entry.placed = false
    if (undo.active)
      undo.record(() => {
        this.tree.set(entry, entry)
        entry.placed = true
      })
  }

  /** Rows in order. */
  toArray(): T[] {
    const out: T[] = []
    for (const e of this.tree.values()) out.push(e.row)
    return out
  }
}
