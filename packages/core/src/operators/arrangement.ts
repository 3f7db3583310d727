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

/**
 * The rows of one index key, with the same identity rules as `KeyedZSet`. Most index keys hold one row
 * (an arrangement by a primary key holds nothing else), so one row is held as a bare entry and a map is
 * made only for a second key: a map per index key was most of an arrangement's memory and build time.
 */
export class GroupRows<T> {
  /** Sum of all weights (what semi and anti joins test). */
  weight = 0
  #id: KeyId = null
  #one: Entry<T> | undefined
  #many: KeyedZSet<T> | undefined

  constructor(readonly key: Key) {}

  /** Number of row keys held. */
  get size(): number {
    return this.#many ? this.#many.size : this.#one ? 1 : 0
  }

  /** Calls `fn` with every distinct row and its key and weight. */
  each(fn: (key: Key, row: T, weight: number) => void): void {
    if (this.#many) for (const e of this.#many.entries.values()) eachRow(e, (row, weight) => fn(e.key, row, weight))
    else if (this.#one) {
      const e = this.#one
      eachRow(e, (row, weight) => fn(e.key, row, weight))
    }
  }

  add(key: Key, id: KeyId, row: T, weight: number, undo: UndoLog): void {
    this.weight += weight
    if (undo.active) undo.record(() => (this.weight -= weight))
    if (this.#many) return this.#many.add(key, id, row, weight, undo)
    const one = this.#one
    if (one === undefined) {
      this.#one = { key, row, weight, others: undefined }
      this.#id = id
      if (undo.active) undo.record(() => (this.#one = undefined))
      return
    }
    if (this.#id !== id) {
      const many = new KeyedZSet<T>()
      many.entries.set(this.#id, one)
      this.#many = many
      this.#one = undefined
      if (undo.active)
        undo.record(() => {
          this.#many = undefined
          this.#one = one
        })
      many.add(key, id, row, weight, undo)
      return
    }
    if (undo.active) {
      const { row: r, weight: w, others } = one
      const saved = copyOthers(others)
      undo.record(() => {
        one.row = r
        one.weight = w
        one.others = saved
        this.#one = one
      })
    }
    if (!addToEntry(one, row, weight)) this.#one = undefined
  }
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
