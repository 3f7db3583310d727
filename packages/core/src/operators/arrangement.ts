import { keyId, type Key, type KeyId } from '../key'
import { addToEntry, copyOthers, eachRow, KeyedZSet, type Change, type Delta, type Entry } from '../zset'
import { NO_UNDO, type UndoLog } from '../undo'
import { BaseOperator, type Operator } from './operator'

/** A change together with its index key, as an arrangement hands it to the joins reading it. */
export interface Indexed<T> {
  readonly indexKey: Key
  readonly indexId: KeyId
  readonly change: Change<T>
}

/** Up to this many row keys, an index key's rows are held in a flat array that lookups scan. */
const FEW = 8

/**
 * The rows of one index key, with the same identity rules as `KeyedZSet`. Most index keys hold one row
 * (an arrangement by a primary key holds nothing else) or a handful (the comments of an issue), so one
 * row is held as a bare entry, up to `FEW` as id/entry pairs in one array, and a map is made only past
 * that: a map per index key was most of an arrangement's memory and build time.
 */
export class GroupRows<T> {
  /** Sum of all weights (what semi and anti joins test). */
  weight = 0
  #id: KeyId = null
  #one: Entry<T> | undefined
  /** Row key ids and their entries, alternating: `[id, entry, id, entry, …]`. */
  #few: (KeyId | Entry<T>)[] | undefined
  #many: KeyedZSet<T> | undefined

  constructor(readonly key: Key) {}

  /** Number of row keys held. */
  get size(): number {
    return this.#many ? this.#many.size : this.#few ? this.#few.length / 2 : this.#one ? 1 : 0
  }

  /** Calls `fn` with every distinct row and its key and weight. */
  each(fn: (key: Key, row: T, weight: number) => void): void {
    if (this.#many) for (const e of this.#many.entries.values()) eachRow(e, (row, weight) => fn(e.key, row, weight))
    else if (this.#few) {
      const few = this.#few
      for (let i = 1; i < few.length; i += 2) {
        const e = few[i] as Entry<T>
        eachRow(e, (row, weight) => fn(e.key, row, weight))
      }
    } else if (this.#one) {
      const e = this.#one
      eachRow(e, (row, weight) => fn(e.key, row, weight))
    }
  }

  add(key: Key, id: KeyId, row: T, weight: number, undo: UndoLog): void {
    this.weight += weight
    if (undo.active) undo.record(() => (this.weight -= weight))
    if (this.#many) return this.#many.add(key, id, row, weight, undo)
    if (this.#few) return this.#addFew(this.#few, key, id, row, weight, undo)
    const one = this.#one
    if (one === undefined) {
      this.#one = { key, row, weight, others: undefined }
      this.#id = id
      if (undo.active) undo.record(() => (this.#one = undefined))
      return
    }
    if (this.#id !== id) {
      const few: (KeyId | Entry<T>)[] = new Array(2)
      few[0] = this.#id
      few[1] = one
      this.#few = few
      this.#one = undefined
      if (undo.active)
        undo.record(() => {
          this.#few = undefined
          this.#one = one
        })
      return this.#addFew(few, key, id, row, weight, undo)
    }
    saveEntry(one, undo)
    if (!addToEntry(one, row, weight)) {
      this.#one = undefined
      if (undo.active) undo.record(() => (this.#one = one))
    }
  }

  #addFew(few: (KeyId | Entry<T>)[], key: Key, id: KeyId, row: T, weight: number, undo: UndoLog): void {
    for (let i = 0; i < few.length; i += 2) {
      if (few[i] !== id) continue
      const e = few[i + 1] as Entry<T>
      saveEntry(e, undo)
      if (!addToEntry(e, row, weight)) {
        few.splice(i, 2)
        if (undo.active) undo.record(() => few.splice(i, 0, id, e))
      }
      return
    }
    if (few.length < 2 * FEW) {
      // A new array of the exact size: pushing would grow the array's store by half again plus 16 slots.
      const next: (KeyId | Entry<T>)[] = new Array(few.length + 2)
      for (let i = 0; i < few.length; i++) next[i] = few[i]!
      next[few.length] = id
      next[few.length + 1] = { key, row, weight, others: undefined }
      this.#few = next
      if (undo.active) undo.record(() => (this.#few = few))
      return
    }
    const many = new KeyedZSet<T>()
    for (let i = 0; i < few.length; i += 2) many.entries.set(few[i] as KeyId, few[i + 1] as Entry<T>)
    many.weight = this.weight - weight
    this.#many = many
    this.#few = undefined
    if (undo.active)
      undo.record(() => {
        this.#many = undefined
        this.#few = few
      })
    many.add(key, id, row, weight, undo)
  }
}

/** Records how to put an entry's rows and weights back as they are now. */
function saveEntry<T>(entry: Entry<T>, undo: UndoLog): void {
  if (!undo.active) return
  const { row, weight, others } = entry
  const saved = copyOthers(others)
  undo.record(() => {
    entry.row = row
    entry.weight = weight
    entry.others = saved
  })
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
  readonly groups = new Map<KeyId, GroupRows<T>>()
  pending: Indexed<T>[] = []

  constructor(
    input: Operator,
    readonly indexKey: (row: T) => Key,
  ) {
    super([input])
  }

  step([delta]: readonly Delta<unknown>[]): Delta<unknown> {
    const indexKey = this.indexKey
    const pending: Indexed<T>[] = new Array(delta!.length)
    let i = 0
    for (const change of delta as Delta<T>) {
      const k = indexKey(change.row)
      pending[i++] = { indexKey: k, indexId: k == null ? null : keyId(k), change }
    }
    this.pending = pending
    // The delta passes through unchanged: readers are scheduled by it and read `pending`.
    return delta!
  }

  flush(undo: UndoLog): void {
    const groups = this.groups
    for (const { indexKey, indexId, change } of this.pending) {
      if (indexKey == null) continue
      let group = groups.get(indexId)
      if (group === undefined) {
        const created = new GroupRows<T>(indexKey)
        groups.set(indexId, created)
        if (undo.active) undo.record(() => groups.delete(indexId))
        group = created
      }
      const g = group
      g.add(change.key, keyId(change.key), change.row, change.weight, undo)
      if (g.size === 0) {
        groups.delete(indexId)
        if (undo.active) undo.record(() => groups.set(indexId, g))
      }
    }
    this.pending = []
  }

  reset(): void {
    this.pending = []
  }

  save(): unknown {
    const out: Change<T>[] = []
    for (const g of this.groups.values()) g.each((key, row, weight) => out.push({ key, row, weight }))
    return out
  }

  load(saved: unknown): void {
    this.step([saved as Delta<unknown>])
    this.flush(NO_UNDO)
  }

  /** The rows held under an index key, as of the end of the previous step. */
  lookup(indexId: KeyId): GroupRows<T> | undefined {
    return this.groups.get(indexId)
  }

  override stateSize(): number {
    let n = 0
    for (const g of this.groups.values()) n += g.size
    return n
  }
}
