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
 * The rows of an index key other than a lone row under its own key (see `Arrangement.singles`): up to
 * `FEW` row keys as `FewRows` (one array: the comments of an issue), a `KeyedZSet` past that. Held in the
 * arrangement's map with no object around them: a group object (a class holding the array) was one more
 * object per index key to build and one more to read per lookup. They are told apart by their type,
 * which reads the value's own memory, read next anyway.
 */
type Group<T> = FewRows<T> | KeyedZSet<T>

/** Calls `fn` with every distinct row of `group` and its key and weight. */
function eachInGroup<T>(group: Group<T>, fn: (key: Key, row: T, weight: number) => void): void {
  if (group instanceof KeyedZSet) group.slots.forEach((slot, id) => eachSlotRow(id, slot, fn))
  else for (let i = 1; i < group.length; i += 2) eachSlotRow(group[i] as KeyId, group[i + 1] as Slot<T>, fn)
}

/**
 * What `group` is once `weight` of `row` (under row key `key`, whose id is `id`) is added to it: itself,
 * changed in place (recorded in `undo`), a new group, or undefined when no row is left. The caller writes
 * a new group into the arrangement's map.
 */
function addToGroup<T>(group: Group<T>, key: Key, id: KeyId, row: T, weight: number, undo: UndoLog): Group<T> | undefined {
  if (!(group instanceof KeyedZSet)) return addFew(group, key, id, row, weight, undo)
  group.add(key, id, row, weight, undo)
  return group.size === 0 ? undefined : group
}

function addFew<T>(few: FewRows<T>, key: Key, id: KeyId, row: T, weight: number, undo: UndoLog): Group<T> | undefined {
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
function replaceIn<T>(held: Group<T>, id: KeyId, old: T, next: T, undo: UndoLog): boolean {
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
 * The new row of the update that changes `i` and `i + 1` of `changes` make (see `isUpdate`), when it may
 * take the old row's place held bare (`isBare`; `id` is the row key's id); undefined otherwise.
 */
function updatedTo<T>(changes: Delta<T>, ids: readonly KeyId[], i: number, id: KeyId): T | undefined {
  if (!isUpdate(changes, ids, i)) return undefined
  const next = changes[i + 1]!
  return isBare(next.key, id, next.row, 1) ? next.row : undefined
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
  /**
   * The index keys that hold one row of weight 1 whose own key is the index key (every row of an
   * arrangement by a primary key), that row by index key id. Apart from `groups`, so that a lookup that
   * finds a row here hands it on without reading it: a join's fused group-by that keys by the other side
   * (Q4's comments by author, joined to open issues by id) never reads the issue row, and a type test on
   * it, to tell it from a group, would be a cache miss for nothing.
   */
  readonly singles = new Map<KeyId, T>()
  /** The rows of every other index key, by index key id. */
  readonly groups = new Map<KeyId, Group<T>>()
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
    const singles = this.singles
    const groups = this.groups
    const pending = this.pending
    const ids = this.pendingIds
    for (let i = 0; i < pending.length; i++) {
      const indexId = ids[i] as KeyId
      if (indexId === null) continue
      const c = pending[i]!
      const id = keyId(c.key)
      const single = singles.get(indexId)
      if (single !== undefined) {
        if (id === indexId && (single === c.row || deepEqual(single, c.row))) {
          // Its update or its delete is one map write.
          const next = updatedTo(pending, ids, i, id)
          if (next !== undefined) {
            if (undo.active) undo.entry(singles, indexId, single)
            singles.set(indexId, next)
            i++
            continue
          }
          if (c.weight === -1) {
            if (undo.active) undo.entry(singles, indexId, single)
            singles.delete(indexId)
            continue
          }
        }
        // Any other change makes it a group of its own (a new array: no undo), which takes the change.
        if (undo.active) undo.entry(singles, indexId, single)
        singles.delete(indexId)
        this.#setGroup(indexId, undefined, addFew([1, indexId, single], c.key, id, c.row, c.weight, NO_UNDO), undo)
        continue
      }
      const group = groups.get(indexId)
      if (group === undefined) {
        if (id === indexId && isBare(c.key, id, c.row, c.weight)) {
          singles.set(indexId, c.row)
          if (undo.active) undo.entry(singles, indexId, undefined)
        } else this.#setGroup(indexId, undefined, [c.weight, id, addToSlot(undefined, c.key, id, c.row, c.weight)!], undo)
        continue
      }
      const next = updatedTo(pending, ids, i, id)
      if (next !== undefined && replaceIn(group, id, c.row, next, undo)) {
        i++
        continue
      }
      const after = addToGroup(group, c.key, id, c.row, c.weight, undo)
      if (after !== group) this.#setGroup(indexId, group, after, undo)
    }
    this.pending = NO_PENDING
    this.pendingIds = NO_PENDING
  }

  /** Puts `after` in the place of `before` under `indexId` in `groups` (removes it when undefined), undo recorded. */
  #setGroup(indexId: KeyId, before: Group<T> | undefined, after: Group<T> | undefined, undo: UndoLog): void {
    if (undo.active) undo.entry(this.groups, indexId, before)
    if (after === undefined) this.groups.delete(indexId)
    else this.groups.set(indexId, after)
  }

  reset(): void {
    this.pending = NO_PENDING
    this.pendingIds = NO_PENDING
  }

  save(): unknown {
    const out: Change<T>[] = []
    const push = (key: Key, row: T, weight: number) => out.push(change(key, row, weight))
    this.singles.forEach((row, indexId) => push(indexId as Key, row, 1))
    this.groups.forEach((group) => eachInGroup(group, push))
    return out
  }

  load(saved: unknown): void {
    this.step([saved as Delta<unknown>])
    this.flush(NO_UNDO)
  }

  /** The number of index keys that hold rows. */
  get size(): number {
    return this.singles.size + this.groups.size
  }

  /** Calls `fn` with every distinct row held under an index key, as of the end of the previous step. */
  each(indexId: KeyId, fn: (key: Key, row: T, weight: number) => void): void {
    const single = this.singles.get(indexId)
    if (single !== undefined) return fn(indexId as Key, single, 1)
    const group = this.groups.get(indexId)
    if (group !== undefined) eachInGroup(group, fn)
  }

  /** The sum of the weights held under an index key (what semi and anti joins test). */
  weightAt(indexId: KeyId): number {
    if (this.singles.has(indexId)) return 1
    const group = this.groups.get(indexId)
    if (group === undefined) return 0
    return group instanceof KeyedZSet ? group.weight : (group[0] as number)
  }

  override stateSize(): number {
    let n = this.singles.size
    for (const group of this.groups.values()) n += group instanceof KeyedZSet ? group.size : (group.length - 1) / 2
    return n
  }
}
