import { keyId, type Key, type KeyId } from '../key'
import { KeyedZSet, savedRows, type Change, type Delta } from '../zset'
import { NO_UNDO, type UndoLog } from '../undo'
import { BaseOperator, type Operator } from './operator'

/** A change together with its index key, as an arrangement hands it to the joins reading it. */
export interface Indexed<T> {
  readonly indexKey: Key
  readonly indexId: KeyId
  readonly change: Change<T>
}

/** The rows of one index key. `rows.weight` is the key's total weight (used by semi and anti joins). */
export interface Group<T> {
  readonly key: Key
  readonly rows: KeyedZSet<T>
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
  readonly groups = new Map<KeyId, Group<T>>()
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
        const created: Group<T> = { key: indexKey, rows: new KeyedZSet<T>() }
        groups.set(indexId, created)
        if (undo.active) undo.record(() => groups.delete(indexId))
        group = created
      }
      const g = group
      g.rows.add(change.key, keyId(change.key), change.row, change.weight, undo)
      if (g.rows.size === 0) {
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
    return savedRows(Array.from(this.groups.values(), (g) => g.rows))
  }

  load(saved: unknown): void {
    this.step([saved as Delta<unknown>])
    this.flush(NO_UNDO)
  }

  /** The rows held under an index key, as of the end of the previous step. */
  lookup(indexId: KeyId): Group<T> | undefined {
    return this.groups.get(indexId)
  }

  override stateSize(): number {
    let n = 0
    for (const g of this.groups.values()) n += g.rows.size
    return n
  }
}
