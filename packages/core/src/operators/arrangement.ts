import { keyId, type Key, type KeyId } from '../key'
import { addToSlot, change, deepEqual, eachSlotRow, Entry, isBare, KeyedZSet, saveSlot, type Change, type Delta, type Slot } from '../zset'
import { NO_UNDO, type UndoLog } from '../undo'
import { BaseOperator, type Operator } from './operator'

/** An arrangement's input between steps: shared, so that resetting one allocates nothing. */
const NO_PENDING: readonly never[] = Object.freeze([])

/** Up to this many row keys, an index key's rows are held in a flat array that lookups scan. */
const FEW = 8

/**
 * The rows of an index key with up to `FEW` row keys: the sum of their weights, then each row key's id
 * and slot (`[weight, id, slot, id, slot, …]`), with the same identity rules as `KeyedZSet`.
 */
type FewRows<T> = (number | KeyId | Slot<T>)[]

/**
 * What an arrangement holds under an index key, in its map with no object around it:
 *
 * - the row itself, when it is the only one, its weight is 1 and its key is the index key (as every row
 *   of an arrangement by a primary key is);
 * - otherwise up to `FEW` row keys as `FewRows` (one array: the comments of an issue);
 * - past that, a `KeyedZSet`.
 *
 * Most index keys hold one row or a handful. A group object around them (a class holding the array or
 * the row) was one more object per index key to build and one more to read per lookup. They are told
 * apart by the held value's type: `instanceof` or `Array.isArray` reads the value's own memory, which
 * its reader reads next anyway. A row is an object and never an array when held bare (`isBare`).
 */
export type Held<T> = T | FewRows<T> | KeyedZSet<T>

function isFew<T>(held: Held<T>): held is FewRows<T> {
  return Array.isArray(held)
}

/** Calls `fn` with every distinct row held under `indexId` and its key and weight. */
export function eachHeld<T>(held: Held<T>, indexId: KeyId, fn: (key: Key, row: T, weight: number) => void): void {
  if (held instanceof KeyedZSet) held.slots.forEach((slot, id) => eachSlotRow(id, slot, fn))
  else if (isFew(held)) for (let i = 1; i < held.length; i += 2) eachSlotRow(held[i] as KeyId, held[i + 1] as Slot<T>, fn)
  else fn(indexId as Key, held, 1)
}

/** The sum of the weights held under an index key (what semi and anti joins test). */
export function weightOf<T>(held: Held<T> | undefined): number {
  if (held === undefined) return 0
  if (held instanceof KeyedZSet) return held.weight
  return isFew(held) ? (held[0] as number) : 1
}

/** The number of row keys held under an index key. */
function sizeOf<T>(held: Held<T>): number {
  if (held instanceof KeyedZSet) return held.size
  return isFew(held) ? (held.length - 1) / 2 : 1
}

/**
 * What is held under `indexId` once `weight` of `row` (under row key `key`, whose id is `id`) is added
 * to `held`: `held` itself, changed in place (recorded in `undo`), a new value, or undefined when no row
 * is left. The caller writes a new value into the arrangement's map.
 */
function addHeld<T>(held: Held<T> | undefined, indexId: KeyId, key: Key, id: KeyId, row: T, weight: number, undo: UndoLog): Held<T> | undefined {
  if (held === undefined) {
    if (id === indexId && isBare(key, id, row, weight)) return row
    return [weight, id, addToSlot(undefined, key, id, row, weight)!]
  }
  if (held instanceof KeyedZSet) {
    held.add(key, id, row, weight, undo)
    return held.size === 0 ? undefined : held
  }
  if (isFew(held)) return addFew(held, key, id, row, weight, undo)
  // A row held alone: as rows of its own, a new array that needs no undo, which then take the change.
  return addFew([1, indexId, held], key, id, row, weight, NO_UNDO)
}

function addFew<T>(few: FewRows<T>, key: Key, id: KeyId, row: T, weight: number, undo: UndoLog): Held<T> | undefined {
  if (undo.active) undo.field(few, 0, few[0]!)
  few[0] = (few[0] as number) + weight
  for (let i = 1; i < few.length; i += 2) {
    if (few[i] !== id) continue
    const slot = few[i + 1] as Slot<T>
    saveSlot(slot, undo)
    const next = addToSlot(slot, key, id, row, weight)
    if (next === undefined) {
      if (few.length === 3) return undefined
      few.splice(i, 2)
      if (undo.active) undo.record(() => few.splice(i, 0, id, slot))
    } else if (next !== slot) {
      few[i + 1] = next
      if (undo.active) undo.field(few, i + 1, slot)
    }
    return few
  }
  if (few.length < 2 * FEW + 1) {
    // A new array of the exact size: pushing would grow the array's store by half again plus 16 slots.
    const next: FewRows<T> = new Array(few.length + 2)
    for (let i = 0; i < few.length; i++) next[i] = few[i]!
    next[few.length] = id
    next[few.length + 1] = addToSlot(undefined, key, id, row, weight)!
    return next
  }
  const many = new KeyedZSet<T>()
  for (let i = 1; i < few.length; i += 2) many.slots.set(few[i] as KeyId, few[i + 1] as Slot<T>)
  many.weight = (few[0] as number) - weight
  many.add(key, id, row, weight, NO_UNDO)
  return many
}

/**
 * Puts `next` in the place of `old` under row key id `id` in rows held under an index key: an update
 * that keeps its index key, written in its slot where removing `old` and adding `next` would empty the
 * slot (or the index key's whole entry) and make it again. Only where `old` is held bare: returns false,
 * having changed nothing, otherwise (the caller then adds the two changes).
 */
function replaceIn<T>(held: FewRows<T> | KeyedZSet<T>, id: KeyId, old: T, next: T, undo: UndoLog): boolean {
  if (held instanceof KeyedZSet) {
    const slots = held.slots
    const slot = slots.get(id)
    if (!holds(slot, old)) return false
    if (undo.active) undo.entry(slots, id, slot)
    slots.set(id, next)
    return true
  }
  for (let i = 1; i < held.length; i += 2) {
    if (held[i] !== id) continue
    const slot = held[i + 1] as Slot<T>
    if (!holds(slot, old)) return false
    if (undo.active) undo.field(held, i + 1, slot)
    held[i + 1] = next
    return true
  }
  return false
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
      if (held instanceof KeyedZSet || isFew(held)) {
        if (isUpdate(pending, ids, i) && isBare(c.key, id, pending[i + 1]!.row, 1) && replaceIn(held, id, c.row, pending[i + 1]!.row, undo)) {
          i++
          continue
        }
      } else if (held !== undefined && id === indexId && (held === c.row || deepEqual(held, c.row))) {
        // A row held alone under its own key: its update or its delete is one map write.
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
      const after = addHeld(held, indexId, c.key, id, c.row, c.weight, undo)
      if (after === held) continue
      if (undo.active) undo.entry(groups, indexId, held)
      if (after === undefined) groups.delete(indexId)
      else groups.set(indexId, after)
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
    for (const held of this.groups.values()) n += sizeOf(held)
    return n
  }
}
