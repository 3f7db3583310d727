import { BTree, bulkLoad } from './btree'
import { compareValues, keyId, type Key, type KeyId } from './key'
import type { Order } from './relation'
import { InternalError } from './errors'
import type { UndoLog } from './undo'
import { addToEntry, deepEqual, Entry, KeyedZSet, type Delta, type Slot } from './zset'

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

/**
 * A keyed Z-set whose entries can be placed in a tree. A placed row is always held in an entry. While
 * `bare` is set (a bounded `SortedRows` with a rest), a new key's lone row is held bare, as in any keyed
 * Z-set, and gets its entry only when it is placed: the rows no window reads cost no object each.
 */
class SortedZSet<T> extends KeyedZSet<T> {
  protected override holdsBare = false

  /** Sets whether new keys' lone rows are held bare. */
  set bare(bare: boolean) {
    this.holdsBare = bare
  }

  protected override entry(key: Key, id: KeyId, row: T, weight: number): SortedEntry<T> {
    return new SortedEntry(key, id, row, weight)
  }

  /** As in any keyed Z-set, but a key that holds an entry keeps it (it may be in the tree) until it is empty. */
  protected override addTo(slot: Slot<T>, _key: Key, id: KeyId, row: T, weight: number): void {
    const slots = this.slots
    if (slot instanceof SortedEntry) {
      if (!addToEntry(slot, row, weight)) slots.delete(id)
      return
    }
    // A bare row: its key is its id, and its weight 1.
    if (weight === -1 && (slot === row || deepEqual(slot, row))) {
      slots.delete(id)
      return
    }
    const entry = this.entry(id, id, slot as T, 1)
    if (addToEntry(entry, row, weight)) slots.set(id, entry)
    else slots.delete(id)
  }

  /** Puts an entry in the place of the bare row held under `id`, to be placed in the tree. */
  promote(id: KeyId, row: T, undo: UndoLog): SortedEntry<T> {
    const entry = this.entry(id, id, row, 1)
    this.slots.set(id, entry)
    if (undo.active) undo.entry(this.slots, id, row)
    return entry
  }
}

const NOTHING_MOVED: readonly SortKey[] = []

/** From this many changes, a delta into an empty `SortedRows` goes in through `fill` (one sort), not `add`. */
export const FILL_AT = 64

/** The fewest rows a bounded `SortedRows` places in its tree when it loads the tree from its rest. */
export const LOAD_MIN = 1024

/** A load takes at least 1/LOAD_SHARE of the rows, so the scans that reload the tree cost O(LOAD_SHARE) per row removed. */
const LOAD_SHARE = 64

/** How many rows a load from `candidates` rows not placed places, in a head bounded by `bound`. */
function loadSize(candidates: number, bound: number, loadMin: number): number {
  return Math.max(loadMin, 4 * bound, Math.ceil(candidates / LOAD_SHARE))
}

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

/**
 * The positions of the least `count` of the first `n` rows described by `values` (sort values) and `keys`,
 * in no particular order: all `n` when there are no more than `count`.
 */
function leastPositions(values: readonly unknown[], keys: readonly Key[], n: number, count: number, compare: (a: SortKey, b: SortKey) => number): number[] {
  const at: number[] = new Array(n)
  for (let i = 0; i < n; i++) at[i] = i
  if (n > count) {
    const a = { value: undefined as unknown, key: null as Key }
    const b = { value: undefined as unknown, key: null as Key }
    selectLeast(at, count, (i, j) => {
      a.value = values[i]
      a.key = keys[i]!
      b.value = values[j]
      b.key = keys[j]!
      return compare(a, b)
    })
    at.length = count
  }
  return at
}

/** Whether the row under `key` with sort value `value` sorts before the last row of `tree` (false for an empty tree); `probe` is reused as its sort key. */
function sortsBeforeLast<T>(tree: BTree<SortedEntry<T>, SortedEntry<T>>, compare: (a: SortKey, b: SortKey) => number, probe: { value: unknown; key: Key }, key: Key, value: unknown): boolean {
  const last = tree.maxKey()
  if (last === undefined) return false
  probe.value = value
  probe.key = key
  return compare(probe, last) < 0
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
 * and the other rows, the rest, wait unsorted in the Z-set, held bare (no entry object per row; see
 * `SortedZSet`): every rest row sorts after every placed row,
 * and while there is a rest the tree holds at least `bound` rows. A load selects the head from the rest
 * in O(rest) (`selectLeast`) and sorts only the head, so a build does not sort rows no window reads, and
 * a change past the head is a map write, not a tree descent. A load takes at least `loadMin` rows and
 * 1/64 of them, so the tree drains (and is loaded again) at most once per that many removals.
 */
export class SortedRows<T> {
  readonly #set = new SortedZSet<T>()
  readonly rows: KeyedZSet<T> = this.#set
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

  /** Sets whether every row of positive weight is placed; while not, new rows are held bare. */
  #setComplete(complete: boolean): void {
    this.#complete = complete
    this.#set.bare = !complete
  }

  /** As `#setComplete`, recording how to undo it. */
  #becomeComplete(complete: boolean, undo: UndoLog): void {
    if (this.#complete === complete) return
    this.#setComplete(complete)
    if (undo.active) undo.record(() => this.#setComplete(!complete))
  }

  #loadSize(candidates: number): number {
    return loadSize(candidates, this.bound, this.loadMin)
  }

  /**
   * Adds `weight` of `row` under `key`; returns the sort keys where the key's placed row left and
   * arrived (none when its placement did not change), so callers can tell whether a window moved.
   */
  add(key: Key, id: KeyId, row: T, weight: number, undo: UndoLog): readonly SortKey[] {
    const slots = this.#set.slots
    const before = slots.get(id)
    const placed = before instanceof SortedEntry && before.placed ? before : undefined
    const placedRow = placed?.row
    this.#set.add(key, id, row, weight, undo)
    const after = slots.get(id)
    const target = after instanceof SortedEntry ? (after.weight > 0 ? after.row : undefined) : after
    if (before === after && placedRow === target) return NOTHING_MOVED
    const touched: SortKey[] = []
    if (placed !== undefined) {
      // `before` may have left the map (its weight reached zero): it is still in the tree until here. If
      // it is placed again below, its old place is copied first; otherwise it keeps its old sort key.
      touched.push(placed === after ? { value: placed.value, key: placed.key } : placed)
      this.#remove(placed, undo)
    }
    if (target !== undefined) {
      const value = this.order.value(target)
      // Otherwise the row waits in the rest: it sorts after every placed row.
      if (this.#belongsInTree(after instanceof SortedEntry ? after.key : id, value)) {
        const entry = after instanceof SortedEntry ? after : this.#set.promote(id, target, undo)
        this.#place(entry, value, undo)
        touched.push(entry)
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
    const entry = this.#set.slots.get(id)
    if (!(entry instanceof SortedEntry) || !entry.placed || entry.weight !== 1 || entry.others !== undefined) return false
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

  /** Whether the row under `key` with sort value `value` goes into the tree: always while there is no rest, else if it sorts before the tree's last row. */
  #belongsInTree(key: Key, value: unknown): boolean {
    return this.#complete || sortsBeforeLast(this.tree, this.compare, this.#probe, key, value)
  }

  /** Places the head of the rest, after the rows placed already (which all sort before it). */
  #load(undo: UndoLog): void {
    const head = this.#head(undo)
    const tree = this.tree
    for (const e of head) {
      tree.set(e, e)
      e.placed = true
    }
    if (undo.active)
      undo.record(() => {
        for (const e of head) {
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
    const set = this.#set
    const compare = this.compare
    let placed: SortedEntry<T>[] = []
    if (undo.active)
      undo.record(() => {
        this.tree = new BTree<SortedEntry<T>, SortedEntry<T>>(undefined, compare)
        this.#setComplete(true)
        for (const e of placed) e.placed = false
      })
    // Rows past what the tree will hold wait bare in the rest (changes count the rows at most).
    set.bare = changes.length > this.#loadSize(changes.length)
    for (const c of changes) set.add(c.key, keyId(c.key), c.row, c.weight, undo)
    placed = this.#head(undo)
    placed.sort(compare)
    this.tree = bulkLoad(placed, placed, compare)
    for (const e of placed) e.placed = true
  }

  /**
   * The head of the rest, to be placed: every row of positive weight not placed yet, or the least
   * `#loadSize` of them (the set is then incomplete), each in its entry with its sort value. The rest is
   * gathered into arrays of sort values and keys and selected by position, so the rows left out get no
   * object: only the head's bare rows are given entries.
   */
  #head(undo: UndoLog): SortedEntry<T>[] {
    const set = this.#set
    const value = this.order.value
    if (set.slots.size <= this.#loadSize(set.slots.size)) {
      // Every row goes in (always without a bound): nothing to select, so no arrays to select in.
      const head: SortedEntry<T>[] = []
      set.slots.forEach((slot, id) => {
        if (slot instanceof SortedEntry) {
          if (slot.weight <= 0 || slot.placed) return
          slot.value = value(slot.row)
          head.push(slot)
        } else {
          const v = value(slot as T)
          const entry = set.promote(id, slot as T, undo)
          entry.value = v
          head.push(entry)
        }
      })
      this.#becomeComplete(true, undo)
      return head
    }
    // Arrays of their largest size, written by index (the first `n` are used): no growing by push.
    const found: Slot<T>[] = new Array(set.slots.size)
    const keys: Key[] = new Array(set.slots.size)
    const values: unknown[] = new Array(set.slots.size)
    let n = 0
    set.slots.forEach((slot, id) => {
      if (slot instanceof SortedEntry) {
        if (slot.weight <= 0 || slot.placed) return
        keys[n] = slot.key
        values[n] = value(slot.row)
      } else {
        keys[n] = id
        values[n] = value(slot as T)
      }
      found[n++] = slot
    })
    const count = this.#loadSize(n)
    const at = leastPositions(values, keys, n, count, this.compare)
    this.#becomeComplete(n <= count, undo)
    const head: SortedEntry<T>[] = []
    for (const i of at) {
      const slot = found[i]!
      const entry = slot instanceof SortedEntry ? slot : set.promote(keys[i] as KeyId, slot as T, undo)
      entry.value = values[i]
      head.push(entry)
    }
    return head
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

/**
 * The head of a collection's order, for a top-K that reads the collection itself (no `per`): its first
 * rows placed in a B+ tree, as in a bounded `SortedRows`, but with no set of every row beside it. The
 * rows not placed, the rest, are the collection's table (the store's committed rows) less the placed
 * ones, read only when the tree drains and is loaded again. So the top-K keeps no second map of the
 * whole collection (most of its memory and of its build), and a change that sorts past the head costs one
 * comparison. The invariants are `SortedRows`': every rest row sorts after every placed row, and while
 * there is a rest the tree holds at least `bound` rows (a step may drain it below; `settle` loads it).
 *
 * It relies on what a collection's deltas are and when its table is read. A delta has weights ±1 and at
 * most one −row (the stored one) and one +row per key, the −row first (see `Transaction.close`). During a
 * step the table holds the rows as of before it (the store applies a commit to its tables after the
 * circuit's step), so the rows after it are the table's rows whose key the delta leaves alone and the
 * delta's +rows. A step into an empty head (a build, or a view caught up from the tables, when they
 * already hold the delta's rows) reads the delta alone.
 */
export class TableHead<T> {
  tree: BTree<SortedEntry<T>, SortedEntry<T>>
  readonly compare: (a: SortKey, b: SortKey) => number
  /** The placed entries, by key id. */
  readonly #placed = new Map<KeyId, SortedEntry<T>>()
  /** False while some rows of the collection are not placed (the rest, in the table). */
  #complete = true
  /** A sort key to compare a row not placed against the tree, without allocating one per row. */
  readonly #probe: { value: unknown; key: Key } = { value: undefined, key: null }

  constructor(
    readonly order: Order,
    readonly bound: number,
    /** The collection's committed rows by key id, and the key of a row. */
    readonly table: { readonly rows: () => ReadonlyMap<KeyId, unknown>; readonly key: (row: T) => Key },
    readonly loadMin = LOAD_MIN,
  ) {
    this.compare = sortKeyComparator(order.direction)
    this.tree = new BTree<SortedEntry<T>, SortedEntry<T>>(undefined, this.compare)
  }

  /** Rows placed in the tree: 0 only when the collection is empty (between steps). */
  get size(): number {
    return this.tree.size
  }

  /**
   * Takes one change of the collection's delta; returns the sort keys where a placed row left or arrived
   * (none for a row of the rest), so the caller can tell whether its window moved.
   */
  add(key: Key, id: KeyId, row: T, weight: number, undo: UndoLog): readonly SortKey[] {
    const placed = this.#placed
    if (weight === -1) {
      const entry = placed.get(id)
      if (entry === undefined) return NOTHING_MOVED
      this.tree.delete(entry)
      placed.delete(id)
      if (undo.active) {
        undo.entry(this.tree, entry, entry)
        undo.entry(placed, id, entry)
      }
      return [entry]
    }
    if (weight !== 1 || placed.has(id)) throw new InternalError(`stepping internal error: a top-K over a collection was given weight ${weight} of key ${JSON.stringify(key)}${weight === 1 ? ', which it holds' : ''}`)
    const value = this.order.value(row)
    // While rows wait in the table, a row that sorts after the tree's last one waits there too (with no tree, for `settle`).
    if (!this.#complete && !sortsBeforeLast(this.tree, this.compare, this.#probe, key, value)) return NOTHING_MOVED
    const entry = new SortedEntry(key, id, row, 1)
    entry.value = value
    this.tree.set(entry, entry)
    placed.set(id, entry)
    if (undo.active) {
      undo.entry(this.tree, entry, undefined)
      undo.entry(placed, id, undefined)
    }
    return [entry]
  }

  /**
   * Takes a step's delta into an empty head: the least rows of it placed in one sort and a bottom-up
   * load, the others left to the table. Every change of a delta into an empty collection is an insert.
   */
  fill(changes: Delta<T>, undo: UndoLog): void {
    const n = changes.length
    const rows: T[] = new Array(n)
    const keys: Key[] = new Array(n)
    const ids: KeyId[] = new Array(n)
    for (let i = 0; i < n; i++) {
      const c = changes[i]!
      if (c.weight !== 1) throw new InternalError(`stepping internal error: a top-K over an empty collection was given weight ${c.weight}`)
      rows[i] = c.row
      keys[i] = c.key
      ids[i] = keyId(c.key)
    }
    this.#load(rows, keys, ids, n, undo)
  }

  /**
   * Ends a step (after every change of `delta` went through `add`): when the tree has drained below the
   * bound while rows wait in the table, places the least of them. Returns whether it placed any.
   */
  settle(delta: Delta<T>, undo: UndoLog): boolean {
    if (this.#complete || this.tree.size >= Math.max(this.bound, 1)) return false
    const placed = this.#placed
    const touched = new Set<KeyId>()
    const rows: T[] = []
    const keys: Key[] = []
    const ids: KeyId[] = []
    for (const c of delta) {
      const id = keyId(c.key)
      touched.add(id)
      if (c.weight > 0 && !placed.has(id)) {
        rows.push(c.row)
        keys.push(c.key)
        ids.push(id)
      }
    }
    const key = this.table.key
    this.table.rows().forEach((row, id) => {
      if (touched.has(id) || placed.has(id)) return
      rows.push(row as T)
      keys.push(key(row as T))
      ids.push(id)
    })
    this.#load(rows, keys, ids, rows.length, undo)
    return true
  }

  /** Places the least of `n` rows not placed, which all sort after the placed ones; the set is complete if that is all of them. */
  #load(rows: readonly T[], keys: readonly Key[], ids: readonly KeyId[], n: number, undo: UndoLog): void {
    const value = this.order.value
    const values: unknown[] = new Array(n)
    for (let i = 0; i < n; i++) values[i] = value(rows[i]!)
    const count = loadSize(n, this.bound, this.loadMin)
    const at = leastPositions(values, keys, n, count, this.compare)
    const head: SortedEntry<T>[] = new Array(at.length)
    for (let i = 0; i < at.length; i++) {
      const j = at[i]!
      const entry = new SortedEntry(keys[j]!, ids[j]!, rows[j]!, 1)
      entry.value = values[j]
      head[i] = entry
    }
    const placed = this.#placed
    const tree = this.tree
    const complete = this.#complete
    if (tree.size === 0) {
      head.sort(this.compare)
      this.tree = bulkLoad(head, head, this.compare)
    } else for (const e of head) tree.set(e, e)
    for (const e of head) placed.set(e.id, e)
    this.#complete = n <= count
    if (undo.active)
      undo.record(() => {
        this.#complete = complete
        if (this.tree !== tree) this.tree = tree
        else for (const e of head) tree.delete(e)
        for (const e of head) placed.delete(e.id)
      })
  }
}
