import { BTree, bulkLoad } from './btree'
import { compareValues, keyId, type Key, type KeyId } from './key'
import type { Order } from './relation'
import type { UndoLog } from './undo'
import { deepEqual, Entry, KeyedZSet, type Delta } from './zset'

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

/** The fewest rows a bounded `SortedRows` places in its tree when it loads the tree from its rest. */
export const LOAD_MIN = 1024

/** A load takes at least 1/LOAD_SHARE of the rows, so the scans that reload the tree cost O(LOAD_SHARE) per row removed. */
const LOAD_SHARE = 64

/**
 * Reorders `items` so that its first `count` items are the least by `compare` (in no particular order):
 * quickselect, O(items) comparisons on average instead of a sort's O(items · log items).
 */
export function selectLeast<T>(items: T[], count: number, compare: (a: T, b: T) => number): void {
  const k = count - 1
  let lo = 0
  let hi = items.length - 1
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    // The median of the first, middle and last items is the pivot: sorted input stays O(items).
    const a = items[lo]!
    const b = items[mid]!
    const c = items[hi]!
    const pivot = compare(a, b) < 0 ? (compare(b, c) < 0 ? b : compare(a, c) < 0 ? c : a) : compare(a, c) < 0 ? a : compare(b, c) < 0 ? c : b
    let i = lo
    let j = hi
    while (i <= j) {
      while (compare(items[i]!, pivot) < 0) i++
      while (compare(items[j]!, pivot) > 0) j--
      if (i <= j) {
        const t = items[i]!
        items[i++] = items[j]!
        items[j--] = t
      }
    }
    if (k <= j) hi = j
    else if (k >= i) lo = i
    else return
  }
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
 *
 * With a `bound` (a top-K reads only its first offset + limit rows), the tree holds a head of the order
 * and the other rows, the rest, wait unsorted in the Z-set: every rest row sorts after every placed row,
 * and while there is a rest the tree holds at least `bound` rows. A load selects the head from the rest
 * in O(rest) (`selectLeast`) and sorts only the head, so a build does not sort rows no window reads, and
 * a change past the head is a map write, not a tree descent. A load takes at least `loadMin` rows and
 * 1/64 of them, so the tree drains (and is loaded again) at most once per that many removals.
 */
export class SortedRows<T> {
  readonly rows: KeyedZSet<T> = new SortedZSet<T>()
  tree: BTree<SortedEntry<T>, SortedEntry<T>>
  readonly compare: (a: SortKey, b: SortKey) => number
  /** False while some rows of positive weight are not placed (the rest). */
  #complete = true
  /** A sort key to compare a row not yet placed against the tree, without allocating one per row. */
  readonly #probe: { value: unknown; key: Key } = { value: undefined, key: null }

  constructor(
    readonly order: Order,
    readonly bound = Infinity,
    readonly loadMin = LOAD_MIN,
  ) {
    this.compare = sortKeyComparator(order.direction)
    this.tree = new BTree<SortedEntry<T>, SortedEntry<T>>(undefined, this.compare)
  }

  /** Rows placed in the tree: 0 only when there are no rows. */
  get size(): number {
    return this.tree.size
  }

  /** How many rows a load from `candidates` rows of the rest places. */
  #loadSize(candidates: number): number {
    return Math.max(this.loadMin, 4 * this.bound, Math.ceil(candidates / LOAD_SHARE))
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
      const value = this.order.value(target)
      // Otherwise the row waits in the rest: it sorts after every placed row.
      if (this.#belongsInTree(after!, value)) {
        this.#place(after!, value, undo)
        touched.push(after!)
      }
    }
    if (!this.#complete && this.tree.size < Math.max(this.bound, 1)) this.#load(undo)
    return touched
  }

  /**
   * Replaces `old`, held alone and placed under `id`, by `row` when `row` sorts where `old` does: the same
   * outcome as adding −old and then +row, but the key's entry keeps its place in the tree and only its
   * row changes. Returns false, having changed nothing, when that does not apply.
   */
  replace(id: KeyId, old: T, row: T, undo: UndoLog): boolean {
    const entry = (this.rows as SortedZSet<T>).slots.get(id)
    if (entry === undefined || !entry.placed || entry.weight !== 1 || entry.others !== undefined) return false
    const before = entry.row
    if (before !== old && !deepEqual(before, old)) return false
    const probe = this.#probe
    probe.value = this.order.value(row)
    probe.key = entry.key
    if (this.compare(probe, entry) !== 0) return false
    if (undo.active) undo.field(entry, 'row', before)
    entry.row = row
    return true
  }

  /** Whether a row with sort value `value` goes into the tree: always while there is no rest, else if it sorts before the tree's last row. */
  #belongsInTree(entry: SortedEntry<T>, value: unknown): boolean {
    if (this.#complete) return true
    const last = this.tree.maxKey()
    if (last === undefined) return false
    const probe = this.#probe
    probe.value = value
    probe.key = entry.key
    return this.compare(probe, last) < 0
  }

  /** Places the head of the rest, after the rows placed already (which all sort before it). */
  #load(undo: UndoLog): void {
    const rest: SortedEntry<T>[] = []
    const value = this.order.value
    for (const e of (this.rows as SortedZSet<T>).slots.values())
      if (e.weight > 0 && !e.placed) {
        e.value = value(e.row)
        rest.push(e)
      }
    const count = this.#loadSize(rest.length)
    if (rest.length > count) {
      selectLeast(rest, count, this.compare)
      rest.length = count
    } else {
      this.#complete = true
      if (undo.active) undo.record(() => (this.#complete = false))
    }
    const tree = this.tree
    for (const e of rest) {
      tree.set(e, e)
      e.placed = true
    }
    if (undo.active)
      undo.record(() => {
        for (const e of rest) {
          tree.delete(e)
          e.placed = false
        }
      })
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
    const count = this.#loadSize(placed.length)
    if (placed.length > count) {
      selectLeast(placed, count, compare)
      placed.length = count
      this.#complete = false
    }
    placed.sort(compare)
    this.tree = bulkLoad(placed, placed, compare)
    for (const e of placed) e.placed = true
    if (undo.active)
      undo.record(() => {
        this.tree = new BTree<SortedEntry<T>, SortedEntry<T>>(undefined, compare)
        this.#complete = true
        for (const e of placed) e.placed = false
      })
  }

  #place(entry: SortedEntry<T>, value: unknown, undo: UndoLog): void {
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
    if (undo.active) {
      // A load later in the step may give the entry a new sort value: put it back where it was.
      const value = entry.value
      undo.record(() => {
        entry.value = value
        this.tree.set(entry, entry)
        entry.placed = true
      })
    }
  }

  /** Rows in order (all of them only without a bound: with one, the head in the tree). */
  toArray(): T[] {
    const out: T[] = []
    for (const e of this.tree.values()) out.push(e.row)
    return out
  }
}
