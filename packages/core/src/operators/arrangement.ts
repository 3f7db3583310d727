import { keyId, type Key, type KeyId } from '../key'
import { addToSlot, change, deepEqual, eachSlotRow, Entry, isBare, KeyedZSet, saveSlot, type Change, type Delta, type Slot } from '../zset'
import { NO_UNDO, type UndoLog } from '../undo'
import { BaseOperator, type Operator } from './operator'

/** An arrangement's input between steps: shared, so that resetting one allocates nothing. */
const NO_PENDING: readonly never[] = Object.freeze([])

/** Up to this many row keys, an index key's rows are held in a flat array that lookups scan. */
const FEW = 8

/** `GroupRows.#id` while the rows are id/slot pairs in an array, or a keyed set: no key id is a symbol. */
const FEW_PAIRS: unique symbol = Symbol('few')
const MANY: unique symbol = Symbol('many')

/**
 * The rows of one index key, with the same identity rules as `KeyedZSet`. Most index keys hold one row
 * or a handful (the comments of an issue); a lone row whose key is the index key needs no group at all
 * (`Held`). A group holds one row as a bare slot, up to `FEW` as id/slot pairs in one array, and a map
 * past that: a map per index key was most of an arrangement's memory and build time. The three cases share
 * one field, told apart by `#id` rather than by the held value's type: asking a bare row `instanceof` reads
 * the row's memory, a cache miss a build paid once per index key for nothing (docs/performance-log.md).
 */
export class GroupRows<T> {
  /** Sum of all weights (what semi and anti joins test). */
  weight = 0
  /** The row key id of the one slot, while there is one; `FEW_PAIRS` or `MANY` while there are more. */
  #id: KeyId | typeof FEW_PAIRS | typeof MANY = null
  /** One slot, or row key ids and their slots alternating (`[id, slot, id, slot, …]`), or a keyed set. */
  #rows: Slot<T> | (KeyId | Slot<T>)[] | KeyedZSet<T> | undefined

  /** Number of row keys held. */
  get size(): number {
    const id = this.#id
    if (id === FEW_PAIRS) return (this.#rows as (KeyId | Slot<T>)[]).length / 2
    if (id === MANY) return (this.#rows as KeyedZSet<T>).size
    return this.#rows === undefined ? 0 : 1
  }

  /** Calls `fn` with every distinct row and its key and weight. */
  each(fn: (key: Key, row: T, weight: number) => void): void {
    const id = this.#id
    if (id === FEW_PAIRS) {
      const rows = this.#rows as (KeyId | Slot<T>)[]
      for (let i = 0; i < rows.length; i += 2) eachSlotRow(rows[i] as KeyId, rows[i + 1] as Slot<T>, fn)
    } else if (id === MANY) (this.#rows as KeyedZSet<T>).slots.forEach((slot, rowId) => eachSlotRow(rowId, slot, fn))
    else if (this.#rows !== undefined) eachSlotRow(id, this.#rows as Slot<T>, fn)
  }

  add(key: Key, id: KeyId, row: T, weight: number, undo: UndoLog): void {
    if (undo.active) undo.field(this, 'weight', this.weight)
    this.weight += weight
    const heldId = this.#id
    if (heldId === MANY) return (this.#rows as KeyedZSet<T>).add(key, id, row, weight, undo)
    if (heldId === FEW_PAIRS) return this.#addFew(this.#rows as (KeyId | Slot<T>)[], key, id, row, weight, undo)
    const rows = this.#rows as Slot<T> | undefined
    if (rows !== undefined && heldId !== id) {
      const few: (KeyId | Slot<T>)[] = new Array(2)
      few[0] = heldId
      few[1] = rows
      this.#hold(FEW_PAIRS, few, undo)
      return this.#addFew(few, key, id, row, weight, undo)
    }
    if (undo.active) {
      if (rows !== undefined) saveSlot(rows, undo)
      // The id too: a slot emptied earlier in the step leaves the old id behind, and a new key takes its place.
      undo.record(() => {
        this.#rows = rows
        this.#id = heldId
      })
    }
    this.#rows = addToSlot(rows, key, id, row, weight)
    this.#id = id
  }

  /**
   * Puts `next` in the place of `old` under row key `key` (whose id is `id`): an update that keeps its
   * index key, written in its slot where removing `old` and adding `next` would empty the slot (or the
   * index key's whole entry) and make it again. Only where `old` is held bare and `next` may be: returns
   * false, having changed nothing, otherwise (the caller then adds the two changes).
   */
  replace(key: Key, id: KeyId, old: T, next: T, undo: UndoLog): boolean {
    if (!isBare(key, id, next, 1)) return false
    const heldId = this.#id
    if (heldId === MANY) {
      const slots = (this.#rows as KeyedZSet<T>).slots
      const held = slots.get(id)
      if (!holds(held, old)) return false
      if (undo.active) undo.entry(slots, id, held)
      slots.set(id, next)
      return true
    }
    if (heldId === FEW_PAIRS) {
      const rows = this.#rows as (KeyId | Slot<T>)[]
      for (let i = 0; i < rows.length; i += 2) {
        if (rows[i] !== id) continue
        const held = rows[i + 1] as Slot<T>
        if (!holds(held, old)) return false
        if (undo.active) undo.field(rows, i + 1, held)
        rows[i + 1] = next
        return true
      }
      return false
    }
    const rows = this.#rows as Slot<T> | undefined
    if (heldId !== id || !holds(rows, old)) return false
    if (undo.active) undo.field(this, 'bare', rows)
    this.#rows = next
    return true
  }

  /** The one slot, for the undo log (which restores fields by name). */
  get bare(): Slot<T> | undefined {
    return this.#rows as Slot<T> | undefined
  }

  set bare(slot: Slot<T> | undefined) {
    this.#rows = slot
  }

  /** Holds `rows`, of the kind `tag` says, recording how to put back what was held. */
  #hold(tag: typeof FEW_PAIRS | typeof MANY, rows: (KeyId | Slot<T>)[] | KeyedZSet<T>, undo: UndoLog): void {
    if (undo.active) {
      const heldId = this.#id
      const held = this.#rows
      undo.record(() => {
        this.#id = heldId
        this.#rows = held
      })
    }
    this.#id = tag
    this.#rows = rows
  }

  #addFew(few: (KeyId | Slot<T>)[], key: Key, id: KeyId, row: T, weight: number, undo: UndoLog): void {
    for (let i = 0; i < few.length; i += 2) {
      if (few[i] !== id) continue
      const slot = few[i + 1] as Slot<T>
      saveSlot(slot, undo)
      const next = addToSlot(slot, key, id, row, weight)
      if (next === undefined) {
        few.splice(i, 2)
        if (undo.active) undo.record(() => few.splice(i, 0, id, slot))
      } else if (next !== slot) {
        few[i + 1] = next
        if (undo.active) undo.field(few, i + 1, slot)
      }
      return
    }
    if (few.length < 2 * FEW) {
      // A new array of the exact size: pushing would grow the array's store by half again plus 16 slots.
      const next: (KeyId | Slot<T>)[] = new Array(few.length + 2)
      for (let i = 0; i < few.length; i++) next[i] = few[i]!
      next[few.length] = id
      next[few.length + 1] = addToSlot(undefined, key, id, row, weight)!
      this.#hold(FEW_PAIRS, next, undo)
      return
    }
    const many = new KeyedZSet<T>()
    for (let i = 0; i < few.length; i += 2) many.slots.set(few[i] as KeyId, few[i + 1] as Slot<T>)
    many.weight = this.weight - weight
    this.#hold(MANY, many, undo)
    many.add(key, id, row, weight, undo)
  }
}

/** Whether `slot` is `row` held bare (a lone row of weight 1, no entry object). */
function holds<T>(slot: Slot<T> | undefined, row: T): boolean {
  return slot !== undefined && !(slot instanceof Entry) && (slot === row || deepEqual(slot, row))
}

/**
 * Whether changes `i` and `i + 1` of `changes` are an update that keeps its index key: −old then +new
 * under one row key, with the same index key id in `ids` (an arrangement's `pendingIds`).
 */
export function isUpdate(changes: Delta<unknown>, ids: readonly KeyId[], i: number): boolean {
  const c = changes[i]!
  const next = changes[i + 1]
  return c.weight === -1 && next !== undefined && next.weight === 1 && next.key === c.key && ids[i + 1] === ids[i]
}

/**
 * What an arrangement holds under an index key: its rows, or the row itself when it is the only one and
 * its key is the index key (as every row of an arrangement by a primary key is), a row of weight 1 held
 * bare. Such a row needs no `GroupRows` object, one fewer object per row to build and one fewer to read
 * per lookup; asking it `instanceof GroupRows` reads the row, which its reader reads next anyway.
 */
export type Held<T> = GroupRows<T> | T

/** Calls `fn` with every distinct row held under `indexId` and its key and weight. */
export function eachHeld<T>(held: Held<T>, indexId: KeyId, fn: (key: Key, row: T, weight: number) => void): void {
  if (held instanceof GroupRows) held.each(fn)
  else fn(indexId as Key, held, 1)
}

/** The sum of the weights held under an index key. */
export function weightOf<T>(held: Held<T> | undefined): number {
  if (held === undefined) return 0
  return held instanceof GroupRows ? held.weight : 1
}

/**
 * An indexed Z-set: the integral I(a) of a stream, grouped by an index key (DBSP's arrangement). One is
 * built per (stream, selector) and shared by every join that looks the stream up by that selector.
 *
 * In a step it indexes its input delta (`pending`) without integrating it, so that every reader sees
 * the state as of the previous step; the circuit calls `flush` once all readers have run. Rows whose
 * index key is null or undefined are never stored: they match nothing, as NULL in SQL.
 */
export class Arrangement<T = unknown> extends BaseOperator {
  readonly kind = 'arrange'
  readonly groups = new Map<KeyId, Held<T>>()
  /** This step's input delta, as the readers see it. */
  pending: Delta<T> = NO_PENDING
  /**
   * The index key id of each change in `pending`, at the same position; null where the index key is null
   * or undefined (it matches nothing). Two arrays instead of an object per change: a build's delta has
   * one change per row.
   */
  pendingIds: readonly KeyId[] = NO_PENDING

  constructor(
    input: Operator,
    readonly indexKey: (row: T) => Key,
  ) {
    super([input])
  }

  step([delta]: readonly Delta<unknown>[]): Delta<unknown> {
    const indexKey = this.indexKey
    const changes = delta as Delta<T>
    const ids: KeyId[] = new Array(changes.length)
    for (let i = 0; i < changes.length; i++) {
      const k = indexKey(changes[i]!.row)
      // keyId(k) is null only for a null k, so null marks "no index key" and nothing else.
      ids[i] = k == null ? null : keyId(k)
    }
    this.pending = changes
    this.pendingIds = ids
    // The delta passes through unchanged: readers are scheduled by it and read `pending`.
    return delta!
  }

  flush(undo: UndoLog): void {
    const groups = this.groups
    const pending = this.pending
    const ids = this.pendingIds
    for (let i = 0; i < pending.length; i++) {
      const indexId = ids[i] as KeyId
      if (indexId === null) continue
      const c = pending[i]!
      const id = keyId(c.key)
      const held = groups.get(indexId)
      if (held === undefined) {
        if (id === indexId && isBare(c.key, id, c.row, c.weight)) {
          groups.set(indexId, c.row)
          if (undo.active) undo.entry(groups, indexId, undefined)
          continue
        }
      } else if (!(held instanceof GroupRows)) {
        // A row held alone under its own key: an update or a delete of it is one map write.
        if (id === indexId && (held === c.row || deepEqual(held, c.row))) {
          if (isUpdate(pending, ids, i) && isBare(c.key, id, pending[i + 1]!.row, 1)) {
            if (undo.active) undo.entry(groups, indexId, held)
            groups.set(indexId, pending[++i]!.row)
            continue
          }
          if (c.weight === -1) {
            if (undo.active) undo.entry(groups, indexId, held)
            groups.delete(indexId)
            continue
          }
        }
      } else if (isUpdate(pending, ids, i) && held.replace(c.key, id, c.row, pending[i + 1]!.row, undo)) {
        i++
        continue
      }
      let group: GroupRows<T>
      if (held instanceof GroupRows) group = held
      else {
        // No group yet, or a row held alone that now has company: a group, holding that row if any.
        group = new GroupRows<T>()
        if (held !== undefined) group.add(indexId as Key, indexId, held, 1, NO_UNDO)
        groups.set(indexId, group)
        if (undo.active) undo.entry(groups, indexId, held)
      }
      group.add(c.key, id, c.row, c.weight, undo)
      if (group.size === 0) {
        groups.delete(indexId)
        if (undo.active) undo.entry(groups, indexId, group)
      }
    }
    this.pending = NO_PENDING
    this.pendingIds = NO_PENDING
  }

  reset(): void {
    this.pending = NO_PENDING
    this.pendingIds = NO_PENDING
  }

  save(): unknown {
    const out: Change<T>[] = []
    this.groups.forEach((held, indexId) => eachHeld(held, indexId, (key, row, weight) => out.push(change(key, row, weight))))
    return out
  }

  load(saved: unknown): void {
    this.step([saved as Delta<unknown>])
    this.flush(NO_UNDO)
  }

  /** The rows held under an index key, as of the end of the previous step. */
  lookup(indexId: KeyId): Held<T> | undefined {
    return this.groups.get(indexId)
  }

  override stateSize(): number {
    let n = 0
    for (const held of this.groups.values()) n += held instanceof GroupRows ? held.size : 1
    return n
  }
}
