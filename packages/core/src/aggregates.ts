import { BTree } from './btree'
import { compareValues } from './key'
import type { UndoLog } from './undo'

/**
 * The running state of one aggregate in one group. `add` is called with the group's row changes
 * (weight +1 for a row entering the group, −1 for one leaving it) and must record on `undo` how to
 * restore what it changes.
 */
export interface AggregateState<T, R> {
  add(row: T, weight: number, undo: UndoLog): void
  result(): R
  /** The state as plain data, for checkpoints. Without it (and `load`), views using it rebuild on open. */
  save?(): unknown
  /** Takes back what `save` returned, into a fresh state. */
  load?(saved: unknown): void
}

/** An aggregate function for `groupBy`: makes a fresh state for each new group. */
export interface Aggregate<T, R> {
  readonly kind: string
  /** What the aggregate computes, as source text: part of the hash that tells a view's definition changed. */
  readonly text?: string
  init(): AggregateState<T, R>
}

/** The result type of an aggregate. */
export type AggregateResult<A> = A extends Aggregate<never, infer R> ? R : never

/** `R | null` when `V` admits null or undefined (the aggregate of no values is null, as in SQL). */
type OrNull<V> = NonNullable<V> | (null extends V ? null : undefined extends V ? null : never)

/** Number of rows in the group (SQL `COUNT(*)`). */
export function count(): Aggregate<unknown, number> {
  return {
    kind: 'count',
    text: 'count()',
    init() {
      let n = 0
      return {
        save: () => n,
        load(saved) {
          n = saved as number
        },
        add(_row, weight, undo) {
          n += weight
          if (undo.active)
            undo.record(() => {
              n -= weight
            })
        },
        result() {
          return n
        },
      }
    },
  }
}

/**
 * Sum of `value(row)` over the group; null and undefined values are skipped (SQL `SUM`, except that the
 * sum of no values is 0). Sums are kept as one running number, so with fractional values the result can
 * differ from a fresh sum in the last bits.
 */
export function sum<T>(value: (row: T) => number | null | undefined): Aggregate<T, number> {
  return {
    kind: 'sum',
    text: `sum(${value.toString()})`,
    init() {
      let total = 0
      return {
        save: () => total,
        load(saved) {
          total = saved as number
        },
        add(row, weight, undo) {
          const v = value(row)
          if (v == null) return
          const before = total
          total += v * weight
          if (undo.active)
            undo.record(() => {
              total = before
            })
        },
        result() {
          return total
        },
      }
    },
  }
}

/** Mean of `value(row)` over the group's non-null values; null when there are none (SQL `AVG`). */
export function avg<T>(value: (row: T) => number | null | undefined): Aggregate<T, number | null> {
  return {
    kind: 'avg',
    text: `avg(${value.toString()})`,
    init() {
      let total = 0
      let n = 0
      return {
        save: () => [total, n],
        load(saved) {
          ;[total, n] = saved as [number, number]
        },
        add(row, weight, undo) {
          const v = value(row)
          if (v == null) return
          const before = total
          total += v * weight
          n += weight
          if (undo.active)
            undo.record(() => {
              total = before
              n -= weight
            })
        },
        result() {
          return n === 0 ? null : total / n
        },
      }
    },
  }
}

function extreme<T, V>(kind: 'min' | 'max', value: (row: T) => V): Aggregate<T, OrNull<V>> {
  return {
    kind,
    text: `${kind}(${value.toString()})`,
    init() {
      // An ordered multiset of the group's values: O(log n) per change, including deleting the current
      // extreme, and the next one is at hand.
      const values = new BTree<V, number>(undefined, compareValues)
      return {
        save: () => values.toArray(),
        load(saved) {
          for (const [v, n] of saved as [V, number][]) values.set(v, n)
        },
        add(row, weight, undo) {
          const v = value(row)
          if (v == null) return
          const before = values.get(v) ?? 0
          const after = before + weight
          if (after === 0) values.delete(v)
          else values.set(v, after)
          if (undo.active)
            undo.record(() => {
              if (before === 0) values.delete(v)
              else values.set(v, before)
            })
        },
        result() {
          return ((kind === 'min' ? values.minKey() : values.maxKey()) ?? null) as OrNull<V>
        },
      }
    },
  }
}

/** Smallest `value(row)` in the group by `compareValues`; null and undefined are skipped. */
export function min<T, V>(value: (row: T) => V): Aggregate<T, OrNull<V>> {
  return extreme('min', value)
}

/** Largest `value(row)` in the group by `compareValues`; null and undefined are skipped. */
export function max<T, V>(value: (row: T) => V): Aggregate<T, OrNull<V>> {
  return extreme('max', value)
}

/**
 * A user-defined aggregate from an invertible reducer: `add` folds a row in, `remove` folds it out, so
 * each change costs one call. `remove(add(acc, row), row)` must equal `acc`. Accumulators are treated as
 * immutable values: return a new one rather than mutating.
 */
export function reducer<T, A>(spec: {
  initial: A
  add: (acc: A, row: T) => A
  remove: (acc: A, row: T) => A
}): Aggregate<T, A> {
  return {
    kind: 'reducer',
    text: `reducer(${textOf(spec.initial)}, ${spec.add.toString()}, ${spec.remove.toString()})`,
    init() {
      let acc = spec.initial
      return {
        save: () => acc,
        load(saved) {
          acc = saved as A
        },
        add(row, weight, undo) {
          const before = acc
          const step = weight > 0 ? spec.add : spec.remove
          for (let i = Math.abs(weight); i > 0; i--) acc = step(acc, row)
          if (undo.active)
            undo.record(() => {
              acc = before
            })
        },
        result() {
          return acc
        },
      }
    },
  }
}

/** A value as text for a definition hash: JSON where it can be, else what `String` makes of it. */
function textOf(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}
