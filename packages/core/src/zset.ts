import type { Key, KeyId } from './key'
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

/**
 * A change as the engine makes one in a step below `BULK_STEP`: constructed, not an object literal.
 * V8 pretenures an object or array literal's allocation site for good once a scavenge finds most of
 * what it allocated still alive, and a large step (the build: every change of a load alive until the
 * step ends) always does that. From then on each change made there would be allocated in the old
 * generation, die there (collected only by full GCs) and keep the young rows it points to alive through
 * scavenges: a user rename fanning out to 100 joined rows took twice as long. Objects made by a
 * constructor have no allocation site. This one is a function whose prototype is `Object.prototype`, so
 * what it makes is a plain object like a literal's, which serializers that walk only plain objects
 * (superjson) and `structuredClone` treat alike.
 */
function PlainChange(this: { key: Key; row: unknown; weight: number }, key: Key, row: unknown, weight: number): void {
  this.key = key
  this.row = row
  this.weight = weight
}
PlainChange.prototype = Object.prototype
const ChangeRecord = PlainChange as unknown as new <T>(key: Key, row: T, weight: number) => Change<T>

/** A new change (see `PlainChange`). */
export const change = <T>(key: Key, row: T, weight: number): Change<T> => new ChangeRecord(key, row, weight)

/**
 * The size of a step from which operators make their changes with `bulkChange`: its input changes (a
 * join's, a map's), or the groups it touched (a group-by's). A batch of 1,000 edits stays below it; a
 * build of a 100k-row collection is far above.
 */
export const BULK_STEP = 16_384

/**
 * A new change in a step of `BULK_STEP` or more input changes (a build): an object literal, the one
 * allocation site of such changes. What `PlainChange` avoids is right here: every change of a build
 * lives to its step's end, and made by the constructor each was copied by every scavenge of the build
 * until promoted (Q4's build at N = 100k spent ~220 of ~620 ms in scavenges). V8 pretenures this site
 * once a scavenge finds most of its changes alive. A fresh table's changes (`FreshTable.close`) come
 * from here too; a single-row step reaches it only as the first insert into an empty collection.
 */
export const bulkChange = <T>(key: Key, row: T, weight: number): Change<T> => ({ key, row, weight })

/** How a step of `size` (see `BULK_STEP`) makes its changes: `bulkChange` from `BULK_STEP` on, else `change`. */
export const changeMaker = (size: number): typeof change => (size >= BULK_STEP ? bulkChange : change)

const PAIR: unknown[] = [undefined, undefined]

/** `[a, b]`, made as a copy of a template rather than by an array literal (see `PlainChange`). */
export function pairOf<A, B>(a: A, b: B): [A, B] {
  const t = PAIR.slice() as [A, B]
  t[0] = a
  t[1] = b
  return t
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
export class Entry<T> {
  constructor(
    readonly key: Key,
    /** The key's first distinct row. */
    public row: T,
    public weight: number,
    /** The key's other distinct rows, if any. */
    public others: OtherRow<T>[] | undefined,
  ) {}
}

/**
 * What keyed state holds for one key: its entry or, in the usual case, the bare row — one object row of
 * weight 1 under a key that is its own id (a string, number, boolean or null), so the id it is held
 * under gives the key back. A bare row costs nothing beyond its slot in a map or array; an entry object
 * per row was 40% of the heap of the bench's join views (Q2, Q4) and a fifth of their build time.
 */
export type Slot<T> = T | Entry<T>

/** Whether `row` with `weight` under `key` (whose id is `id`) may be held as a bare row. */
export function isBare(key: Key, id: KeyId, row: unknown, weight: number): boolean {
  return weight === 1 && key === id && !Object.is(key, -0) && typeof row === 'object' && row !== null && !Array.isArray(row)
}

/** The key of what is held under `id`. */
export const slotKey = <T>(id: KeyId, slot: Slot<T>): Key => (slot instanceof Entry ? slot.key : id)

/** The first row of what is held under a key. */
export const slotRow = <T>(slot: Slot<T>): T => (slot instanceof Entry ? slot.row : slot)

/** Calls `fn` with every distinct row held under `id`, with its key and weight. */
export function eachSlotRow<T>(id: KeyId, slot: Slot<T>, fn: (key: Key, row: T, weight: number) => void): void {
  if (!(slot instanceof Entry)) return fn(id, slot, 1)
  fn(slot.key, slot.row, slot.weight)
  if (slot.others) for (const o of slot.others) fn(slot.key, o.row, o.weight)
}

/**
 * Adds `weight` of `row` under `key` (whose id is `id`) to what the key holds. Returns what it holds
 * after: undefined when nothing, the same entry changed in place, a new entry, or a bare row.
 */
export function addToSlot<T>(slot: Slot<T> | undefined, key: Key, id: KeyId, row: T, weight: number): Slot<T> | undefined {
  if (slot === undefined) return isBare(key, id, row, weight) ? row : new Entry(key, row, weight, undefined)
  if (!(slot instanceof Entry)) {
    if (slot !== row && !deepEqual(slot, row)) return new Entry(key, slot, 1, [{ row, weight }])
    return weight === -1 ? undefined : weight === 0 ? slot : new Entry(key, slot, 1 + weight, undefined)
  }
  if (!addToEntry(slot, row, weight)) return undefined
  return slot.others === undefined && isBare(slot.key, id, slot.row, slot.weight) ? slot.row : slot
}

/** Records how to put an entry's rows and weights back as they are now (a bare row is never changed). */
export function saveSlot<T>(slot: Slot<T>, undo: UndoLog): void {
  if (!undo.active || !(slot instanceof Entry)) return
  undo.field(slot, 'row', slot.row)
  undo.field(slot, 'weight', slot.weight)
  undo.field(slot, 'others', copyOthers(slot.others))
}

/**
 * An integrated Z-set indexed by row key: the state of distinct and view sinks, and of an arrangement's
 * index keys that hold many rows. Element identity is (key, row by `deepEqual`): adding a row equal to one
 * held under its key adds to that row's weight; a different row is held beside it. So the order of
 * changes inside a delta never matters, which a "last write wins" map cannot promise.
 */
export class KeyedZSet<T> {
  /** What each key holds, by key id: a bare row or an entry (see `Slot`). */
  readonly slots = new Map<KeyId, Slot<T>>()
  /** Sum of all weights. */
  weight = 0
  /** Whether a new key's lone row of weight 1 is held bare (see `SortedRows` for sets that hold entries). */
  protected holdsBare: boolean = true

  get size(): number {
    return this.slots.size
  }

  /** The first row held under a key id, if any. */
  row(id: KeyId): T | undefined {
    const slot = this.slots.get(id)
    return slot === undefined ? undefined : slotRow(slot)
  }

  /** Puts `row`, equal to the first row held under `id`, in its place (so an old row keeps its identity). */
  replaceRow(id: KeyId, row: T): void {
    const slot = this.slots.get(id)
    if (slot instanceof Entry) slot.row = row
    else if (slot !== undefined) this.slots.set(id, row)
  }

  /** A new entry for `key` holding `row`: a subclass may keep more per key in it (see `SortedRows`). */
  protected entry(key: Key, _id: KeyId, row: T, weight: number): Entry<T> {
    return new Entry(key, row, weight, undefined)
  }

  /** Adds `weight` of `row` under `key` (whose id is `id`), recording how to undo it. */
  add(key: Key, id: KeyId, row: T, weight: number, undo: UndoLog): void {
    const slots = this.slots
    const slot = slots.get(id)
    if (undo.active) undo.field(this, 'weight', this.weight)
    this.weight += weight
    if (slot === undefined) {
      slots.set(id, this.holdsBare && isBare(key, id, row, weight) ? row : this.entry(key, id, row, weight))
      if (undo.active) undo.entry(slots, id, undefined)
      return
    }
    if (undo.active) {
      saveSlot(slot, undo)
      undo.entry(slots, id, slot)
    }
    this.addTo(slot, key, id, row, weight)
  }

  /** Adds `weight` of `row` to what the key with id `id` holds already (`slot`), undo recorded. */
  protected addTo(slot: Slot<T>, key: Key, id: KeyId, row: T, weight: number): void {
    const next = addToSlot(slot, key, id, row, weight)
    if (next === undefined) this.slots.delete(id)
    else if (next !== slot) this.slots.set(id, next)
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
  for (const set of sets) for (const [id, slot] of set.slots) eachSlotRow(id, slot, (key, row, weight) => out.push(change(key, row, weight)))
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
