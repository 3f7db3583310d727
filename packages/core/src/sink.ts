import { KeyCollisionError, OperatorError, assert } from './errors'
import { keyId, type Key, type KeyId } from './key'
import type { View } from './relation'
import { FILL_AT, SortedRows } from './sorted'
import { NO_UNDO, type UndoLog } from './undo'
import { Entry, KeyedZSet, addToSlot, change, deepEqual, groupChanges, isBare, saveSlot, savedRows, slotKey, slotRow, type Change, type Delta, type Slot } from './zset'

const NO_ROWS: readonly never[] = Object.freeze([])

/**
 * What an unordered partition holds, until the step settles, under a key the step emptied. Deleting the
 * key would lose its place in the partition's `Map` (the read order): a rollback, or a row written back
 * under the key later in the step, could only put it back at the end. The key is deleted when the step
 * settles: at the commit, or at once for a step without undo.
 */
const HOLE: unique symbol = Symbol('emptied in this step')

/** The rows of one partition of a view (the only partition, for a view that is not partitioned). */
class Partition<T> {
  readonly rows: KeyedZSet<T>
  readonly sorted: SortedRows<T> | undefined
  /** The array `read` returns, rebuilt lazily after a step changes the partition. */
  snapshot: readonly T[] | undefined
  /** The keys the step holds in place (unordered partitions, with an undo log), and what settles them at the commit. */
  held: Held | undefined = undefined
  settle: (() => void) | undefined = undefined

  constructor(view: View<T, Key>) {
    this.sorted = view.order && new SortedRows<T>(view.order)
    this.rows = this.sorted ? this.sorted.rows : new KeyedZSet<T>()
  }

  add(key: Key, id: KeyId, row: T, weight: number, undo: UndoLog): void {
    if (this.sorted) this.sorted.add(key, id, row, weight, undo)
    else this.rows.add(key, id, row, weight, undo)
  }

  read(): readonly T[] {
    return (this.snapshot ??= Object.freeze(
      this.sorted ? this.sorted.toArray() : Array.from(this.rows.slots.values(), slotRow),
    ))
  }
}

/**
 * Where a view's circuit output is integrated: the materialized rows `store.read` returns, per partition,
 * in order for ordered views. Each step it consolidates the view's delta per key into the diff subscribers
 * get: −old/+new for a changed row, nothing for a row that changed into an equal one (which keeps its old
 * object, so UI memoization by identity holds). Views are keyed sets: a key left with weight above one
 * means two rows share a key, reported as a `KeyCollisionError`.
 */
export class ViewSink<T> {
  readonly parts = new Map<KeyId, Partition<T>>()
  /** This step's consolidated diff per partition id; cleared after subscribers are notified. */
  diffs = new Map<KeyId, Change<T>[]>()
  #all: readonly T[] | undefined

  constructor(readonly view: View<T, Key>) {}

  /** Integrates one step's delta; with `record`, keeps its consolidated diff in `diffs` for subscribers. */
  apply(delta: Delta<T>, undo: UndoLog, record: boolean): void {
    if (!this.view.partition) {
      this.#applyTo(null, delta, undo, record)
      return
    }
    for (const [pid, changes] of groupChanges(delta, (c) => this.#partitionOf(c.row))) this.#applyTo(pid, changes, undo, record)
  }

  /** Integrates one partition's changes and records its diff. */
  #applyTo(pid: KeyId, changes: Delta<T>, undo: UndoLog, record: boolean): void {
    const { parts, view } = this
    let part = parts.get(pid)
    if (part === undefined) {
      const created = new Partition<T>(view)
      parts.set(pid, created)
      if (undo.active) undo.entry(parts, pid, undefined)
      part = created
    }
    const diff: Change<T>[] | undefined = record ? [] : undefined
    const changed = part.rows.size === 0 ? this.#fill(part, changes, undo, diff) : this.#update(pid, part, changes, undo, diff)
    if (changed) this.#changed(pid, part, diff, undo)
  }

  /**
   * Changes into an empty partition (a build, say): every key is new, so there is no row before to
   * compare with, and the diff is the rows the partition ends up with. Returns whether it holds any.
   */
  #fill(part: Partition<T>, changes: Delta<T>, undo: UndoLog, diff: Change<T>[] | undefined): boolean {
    try {
      // A large delta into an ordered partition is sorted in one go.
      if (part.sorted !== undefined && changes.length >= FILL_AT) part.sorted.fill(changes, undo)
      else for (const c of changes) part.add(c.key, keyId(c.key), c.row, c.weight, undo)
    } catch (cause) {
      throw this.#orderByError(cause)
    }
    // forEach: a for-of over the map makes an entry array and a result object per row.
    part.rows.slots.forEach((slot, id) => {
      if (slot instanceof Entry) this.#checkOne(slot)
      diff?.push(change(slotKey(id, slot), slotRow(slot), 1))
    })
    return part.rows.size > 0
  }

  /** Changes into a partition that holds rows: each touched key's row before and after, compared. */
  #update(pid: KeyId, part: Partition<T>, changes: Delta<T>, undo: UndoLog, diff: Change<T>[] | undefined): boolean {
    const rows = part.rows
    // Each touched key's id, key and row before the step, in first-touch order (the first `n` of each,
    // sized for every change to touch a new key). Small steps find a key by scanning `ids`; large ones
    // through a set.
    const ids: KeyId[] = new Array<KeyId>(changes.length)
    const keys: Key[] = new Array<Key>(changes.length)
    const befores: (T | undefined)[] = new Array<T | undefined>(changes.length)
    // A key first touched by an update that was checked against the row it held (so that row equals
    // the update's old row, which differs from its new one): the new row object. A key still holding
    // that object when the step is over changed, with no second comparison.
    const updated: (T | undefined)[] = new Array<T | undefined>(changes.length)
    let n = 0
    // Whether a key was touched twice: until then, a key replaced on its first touch still holds its
    // new row, which the loop after this one takes without reading the key again.
    let again = false
    const seen = changes.length > 16 ? new Set<KeyId>() : undefined
    // An unordered partition keeps every key in its place until the step is over (see HOLE), so that a
    // key whose row the step leaves equal does not move.
    const held = part.sorted === undefined ? (part.held ??= new Held()).reset() : undefined
    for (let i = 0; i < changes.length; i++) {
      const c = changes[i]!
      const id = keyId(c.key)
      const next = changes[i + 1]
      const update = c.weight === -1 && next !== undefined && next.weight === 1 && keyId(next.key) === id
      // An update (−old, +new under one key) to an equal row changes nothing: the row keeps its object
      // and its place.
      if (update && (c.row === next.row || deepEqual(c.row, next.row))) {
        i++
        continue
      }
      const first = seen ? !seen.has(id) : !includes(ids, n, id)
      // What the key holds, read once for its row before the step and for an update's replacement.
      let at: Slot<T> | undefined
      if (first) {
        seen?.add(id)
        ids[n] = id
        keys[n] = c.key
        at = rows.slots.get(id)
        befores[n++] = at === undefined ? undefined : slotRow(at)
      } else again = true
      try {
        // An update of a row held bare, or (in an ordered view) one that leaves its sort value as it
        // was, replaces the row in its place.
        const sorted = part.sorted
        if (update && (sorted === undefined ? replaceBare(rows, id, first ? at : rows.slots.get(id), c.row, next, undo) : sorted.replace(id, c.row, next.row, undo))) {
          if (first) updated[n - 1] = next.row
          i++
        } else if (held !== undefined) hold(rows, c.key, id, c.row, c.weight, undo, held)
        else part.add(c.key, id, c.row, c.weight, undo)
      } catch (cause) {
        throw this.#orderByError(cause)
      }
    }
    let changed = false
    for (let i = 0; i < n; i++) {
      const was = befores[i]
      const id = ids[i]!
      const replaced = updated[i]
      if (replaced !== undefined && !again) {
        changed = true
        diff?.push(change(keys[i]!, was!, -1), change(keys[i]!, replaced, 1))
        continue
      }
      const at = rows.slots.get(id)
      const slot = at === (HOLE as unknown) ? undefined : at
      if (slot instanceof Entry) this.#checkOne(slot)
      const now = slot === undefined ? undefined : slotRow(slot)
      if (now !== undefined && now === updated[i]) {
        changed = true
        diff?.push(change(keys[i]!, was!, -1), change(slotKey(id, slot!), now, 1))
        continue
      }
      if (was !== undefined && now !== undefined && (was === now || deepEqual(was, now))) {
        // Equal content: keep the old object so its identity (and UI memoization) survives, and its place.
        if (was !== now) rows.replaceRow(id, was)
        continue
      }
      changed = true
      if (was !== undefined) diff?.push(change(keys[i]!, was, -1))
      if (now !== undefined) diff?.push(change(slotKey(id, slot!), now, 1))
    }
    // A step that cannot be rolled back settles at once; one that can, once it commits.
    if (held !== undefined && held.emptied > 0)
      if (undo.active) undo.afterCommit((part.settle ??= () => this.#settle(pid, part, held)))
      else this.#settle(pid, part, held)
    return changed
  }

  /**
   * After a step that held an unordered partition's emptied keys in place: deletes those it left empty,
   * and drops the partition if it is left empty.
   */
  #settle(pid: KeyId, part: Partition<T>, held: Held): void {
    const slots = part.rows.slots
    const { emptiedIds } = held
    for (let i = 0; i < held.emptied; i++) {
      const id = emptiedIds[i]!
      if (slots.get(id) === (HOLE as unknown)) slots.delete(id)
    }
    held.reset()
    if (part.rows.size === 0 && this.parts.get(pid) === part) this.parts.delete(pid)
  }

  /** A view is a keyed set: a key left holding more than one row (or weight) is a key collision. */
  #checkOne(entry: Entry<T>): void {
    if (entry.weight === 1 && entry.others === undefined) return
    assert(entry.weight > 0, () => `view '${this.view.name}' holds key ${JSON.stringify(entry.key)} with weight ${entry.weight}`)
    throw new KeyCollisionError(this.view.name, entry.key)
  }

  /** Placing a row in an ordered view calls the view's sort value: user code, whose errors name it. */
  #orderByError(cause: unknown): OperatorError {
    return new OperatorError([this.view.name], 'orderBy', { cause })
  }

  /** Records a partition's diff and drops its snapshots (and the partition, once empty). */
  #changed(pid: KeyId, part: Partition<T>, diff: Change<T>[] | undefined, undo: UndoLog): void {
    const snapshot = part.snapshot
    const all = this.#all
    part.snapshot = undefined
    this.#all = undefined
    // A rolled-back step must leave even the snapshot arrays as they were (same identity).
    if (undo.active) {
      if (snapshot !== undefined) undo.field(part, 'snapshot', snapshot)
      if (all !== undefined)
        undo.record(() => {
          this.#all = all
        })
    }
    if (diff !== undefined) this.diffs.set(pid, diff)
    if (part.rows.size === 0) {
      this.parts.delete(pid)
      if (undo.active) undo.entry(this.parts, pid, part)
    }
  }

  /** The partition id of a row. The partition function is user code: what it throws is an OperatorError. */
  #partitionOf(row: T): KeyId {
    const partition = this.view.partition
    if (!partition) return null
    try {
      return keyId(partition(row))
    } catch (cause) {
      throw new OperatorError([this.view.name], 'partitionBy', { cause })
    }
  }

  /** Every row of the view, for a checkpoint. */
  save(): Change<T>[] {
    return savedRows(Array.from(this.parts.values(), (p) => p.rows))
  }

  /** Takes back what `save` returned into the empty sink (one row per key, as `save` wrote them). */
  load(saved: readonly Change<T>[]): void {
    const { parts, view } = this
    for (const c of saved) {
      const pid = this.#partitionOf(c.row)
      let part = parts.get(pid)
      if (part === undefined) parts.set(pid, (part = new Partition<T>(view)))
      part.add(c.key, keyId(c.key), c.row, c.weight, NO_UNDO)
    }
  }

  /** Forgets this step's diffs (after a rollback, or once delivered). */
  reset(): void {
    if (this.diffs.size > 0) this.diffs = new Map()
  }

  read(partition?: Key): readonly T[] {
    if (partition !== undefined) return this.parts.get(keyId(partition))?.read() ?? NO_ROWS
    if (!this.view.partition) return this.parts.get(null)?.read() ?? NO_ROWS
    if (this.parts.size === 0) return NO_ROWS
    return (this.#all ??= Object.freeze(Array.from(this.parts.values(), (p) => p.read()).flat() as T[]))
  }

  get(key: Key, partition?: Key): T | undefined {
    const id = keyId(key)
    if (partition !== undefined || !this.view.partition)
      return this.parts.get(partition === undefined ? null : keyId(partition))?.rows.row(id)
    for (const p of this.parts.values()) {
      const row = p.rows.row(id)
      if (row !== undefined) return row
    }
    return undefined
  }

  get size(): number {
    let n = 0
    for (const p of this.parts.values()) n += p.rows.size
    return n
  }
}

/** Whether `id` is among the first `n` ids. */
function includes(ids: readonly KeyId[], n: number, id: KeyId): boolean {
  for (let i = 0; i < n; i++) if (ids[i] === id) return true
  return false
}

/**
 * The keys a step emptied in a partition it holds in place, in order: the first `emptied` of `emptiedIds`.
 * A partition keeps one from step to step; arrays made for each step were a fifth of what a single-row
 * update of an unordered view allocated.
 */
class Held {
  emptiedIds: KeyId[] = []
  emptied = 0

  /** Forgets the keys of the previous step (settled, or rolled back); lets a large array go. */
  reset(): this {
    this.emptied = 0
    if (this.emptiedIds.length > HELD_KEPT) this.emptiedIds = []
    return this
  }

  // The count is at most the array's length, so a write past the end appends (the array stays dense).
  addEmptied(id: KeyId): void {
    this.emptiedIds[this.emptied++] = id
  }
}

/** Key ids a partition's `Held` keeps between steps; a larger array (after a large step) is let go. */
const HELD_KEPT = 1024

/**
 * Replaces the row an unordered partition holds bare under `id` by an update's new row, in its place,
 * if it equals the update's old row. Returns false (nothing done) otherwise: the key holds no row, an
 * entry (more than one row, or weight), or a different row, or the new row cannot be held bare.
 */
function replaceBare<T>(rows: KeyedZSet<T>, id: KeyId, at: Slot<T> | undefined, old: T, next: Change<T>, undo: UndoLog): boolean {
  const slots = rows.slots
  if (at === undefined || at === (HOLE as unknown) || at instanceof Entry || !isBare(next.key, id, next.row, 1)) return false
  if (at !== old && !deepEqual(at, old)) return false
  undo.entry(slots, id, at)
  slots.set(id, next.row)
  return true
}

/**
 * Adds a change to an unordered partition without deleting its key (see `HOLE`): a key left empty holds
 * `HOLE`, a key written again takes its row in its place, and a new key goes to the end.
 */
function hold<T>(rows: KeyedZSet<T>, key: Key, id: KeyId, row: T, weight: number, undo: UndoLog, held: Held): void {
  const slots = rows.slots
  const at = slots.get(id)
  const slot = at === (HOLE as unknown) ? undefined : at
  undo.field(rows, 'weight', rows.weight)
  rows.weight += weight
  if (slot !== undefined) saveSlot(slot, undo)
  undo.entry(slots, id, at)
  const next = addToSlot(slot, key, id, row, weight)
  if (next === undefined) {
    slots.set(id, HOLE as unknown as Slot<T>)
    held.addEmptied(id)
  } else if (next !== at) slots.set(id, next)
}
