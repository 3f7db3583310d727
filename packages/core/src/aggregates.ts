import { bulkLoad, type BTree } from './btree'
import { compareValues } from './key'
import { NO_UNDO, type UndoLog } from './undo'

/**
 * The running state of one aggregate in one group. `add` is called with the group's row changes
 * (weight +1 for a row entering the group, −1 for one leaving it) and must record on `undo` how to
 * restore what it changes.
 */
export interface AggregateState<T, R> {
  add(row: T, weight: number, undo: UndoLog): void
  /**
   * Optional: `before` leaves the group and `after` enters it, each with `weight` (an update of a row that
   * stays in its group), with the effect of `add(before, -weight)` then `add(after, weight)`. A state
   * implements it where it can do less than the two calls.
   */
  replace?(before: T, after: T, weight: number, undo: UndoLog): void
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

// Aggregate states are classes rather than closures: a group-by makes one per group and aggregate, and
// class instances share their methods and shape where closures allocate a function per method.

/** A state that is one value: its result, and its saved form. */
abstract class ValueState<T, R> implements AggregateState<T, R> {
  constructor(public current: R) {}

  abstract add(row: T, weight: number, undo: UndoLog): void

  result(): R {
    return this.current
  }

  save(): unknown {
    return this.current
  }

  load(saved: unknown): void {
    this.current = saved as R
  }
}

class CountState extends ValueState<unknown, number> {
  add(_row: unknown, weight: number, undo: UndoLog): void {
    if (undo.active) undo.field(this, 'current', this.current)
    this.current += weight
  }
}

/**
 * `count()`'s aggregate. A group-by reads a count from the group's own total weight, which it keeps
 * anyway, instead of a state per group: it tells this aggregate by its class.
 */
export class CountAggregate implements Aggregate<unknown, number> {
  readonly kind = 'count'
  readonly text = 'count()'

  init(): AggregateState<unknown, number> {
    return new CountState(0)
  }
}

/** Number of rows in the group (SQL `COUNT(*)`). */
export function count(): Aggregate<unknown, number> {
  return new CountAggregate()
}

class SumState<T> extends ValueState<T, number> {
  constructor(readonly value: (row: T) => number | null | undefined) {
    super(0)
  }

  add(row: T, weight: number, undo: UndoLog): void {
    const v = this.value(row)
    if (v == null) return
    if (undo.active) undo.field(this, 'current', this.current)
    this.current += v * weight
  }
}

/**
 * Sum of `value(row)` over the group; null and undefined values are skipped (SQL `SUM`, except that the
 * sum of no values is 0). Sums are kept as one running number, so with fractional values the result can
 * differ from a fresh sum in the last bits.
 */
export function sum<T>(value: (row: T) => number | null | undefined): Aggregate<T, number> {
  return { kind: 'sum', text: `sum(${value.toString()})`, init: () => new SumState(value) }
}

class AvgState<T> implements AggregateState<T, number | null> {
  total = 0
  n = 0

  constructor(readonly value: (row: T) => number | null | undefined) {}

  add(row: T, weight: number, undo: UndoLog): void {
    const v = this.value(row)
    if (v == null) return
    if (undo.active) {
      undo.field(this, 'total', this.total)
      undo.field(this, 'n', this.n)
    }
    this.total += v * weight
    this.n += weight
  }

  result(): number | null {
    return this.n === 0 ? null : this.total / this.n
  }

  save(): unknown {
    return [this.total, this.n]
  }

  load(saved: unknown): void {
    ;[this.total, this.n] = saved as [number, number]
  }
}

/** Mean of `value(row)` over the group's non-null values; null when there are none (SQL `AVG`). */
export function avg<T>(value: (row: T) => number | null | undefined): Aggregate<T, number | null> {
  return { kind: 'avg', text: `avg(${value.toString()})`, init: () => new AvgState(value) }
}

/**
 * The group's values as an ordered multiset (value → count): O(log n) per change, including deleting the
 * current extreme, and the next one is at hand. Until a value first leaves the group, the tree is not
 * made: the values are appended to two arrays and their extreme kept beside them, so a group's rows (all
 * of them, in a build) cost one comparison each instead of two tree operations. The first removal sorts
 * them into the tree.
 */
class ExtremeState<T, V> implements AggregateState<T, OrNull<V>> {
  /** The ordered multiset, from the first removal on. */
  values: BTree<V, number> | undefined = undefined
  /** Before that: the values added and their weights (the first `added` of each), and their extreme. */
  addedValues: V[] = []
  addedWeights: number[] = []
  added = 0
  extreme: V | undefined = undefined

  constructor(
    readonly kind: 'min' | 'max',
    readonly value: (row: T) => V,
  ) {}

  add(row: T, weight: number, undo: UndoLog): void {
    this.#add(this.value(row), weight, undo)
  }

  /** An update that leaves the row's value as it was (a field this aggregate does not read changed) is no change. */
  replace(before: T, after: T, weight: number, undo: UndoLog): void {
    const from = this.value(before)
    const to = this.value(after)
    if (from === to) return
    this.#add(from, -weight, undo)
    this.#add(to, weight, undo)
  }

  #add(v: V, weight: number, undo: UndoLog): void {
    if (v == null || weight === 0) return
    let values = this.values
    if (values === undefined) {
      if (weight > 0) {
        this.#append(v, weight, undo)
        return
      }
      values = this.#sort(undo)
    }
    const before = values.get(v) ?? 0
    const after = before + weight
    if (after === 0) values.delete(v)
    else values.set(v, after)
    if (undo.active) undo.entry(values, v, before === 0 ? undefined : before)
  }

  result(): OrNull<V> {
    const values = this.values
    if (values === undefined) return (this.extreme ?? null) as OrNull<V>
    return ((this.kind === 'min' ? values.minKey() : values.maxKey()) ?? null) as OrNull<V>
  }

  save(): unknown {
    return (this.values ?? this.#sort(NO_UNDO)).toArray()
  }

  load(saved: unknown): void {
    const pairs = saved as [V, number][]
    this.values = bulkLoad(
      pairs.map((p) => p[0]),
      pairs.map((p) => p[1]),
      compareValues,
    )
  }

  #append(v: V, weight: number, undo: UndoLog): void {
    const e = this.extreme
    if (undo.active) {
      undo.field(this, 'added', this.added)
      undo.field(this, 'extreme', e)
    }
    this.addedValues[this.added] = v
    this.addedWeights[this.added++] = weight
    if (e === undefined || (this.kind === 'max' ? compareValues(v, e) > 0 : compareValues(v, e) < 0)) this.extreme = v
  }

  /** Makes the tree of the values added so far (equal values summed), and lets their arrays go. */
  #sort(undo: UndoLog): BTree<V, number> {
    const { addedValues: vs, addedWeights: ws, added: n } = this
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => compareValues(vs[a], vs[b]))
    const keys: V[] = []
    const counts: number[] = []
    for (const i of order) {
      const last = keys.length - 1
      if (last >= 0 && compareValues(keys[last], vs[i]) === 0) counts[last]! += ws[i]!
      else {
        keys.push(vs[i]!)
        counts.push(ws[i]!)
      }
    }
    const values = bulkLoad(keys, counts, compareValues)
    this.values = values
    this.addedValues = []
    this.addedWeights = []
    if (undo.active)
      undo.record(() => {
        this.values = undefined
        this.addedValues = vs
        this.addedWeights = ws
      })
    return values
  }
}

function extreme<T, V>(kind: 'min' | 'max', value: (row: T) => V): Aggregate<T, OrNull<V>> {
  return { kind, text: `${kind}(${value.toString()})`, init: () => new ExtremeState(kind, value) }
}

/** Smallest `value(row)` in the group by `compareValues`; null and undefined are skipped. */
export function min<T, V>(value: (row: T) => V): Aggregate<T, OrNull<V>> {
  return extreme('min', value)
}

/** Largest `value(row)` in the group by `compareValues`; null and undefined are skipped. */
export function max<T, V>(value: (row: T) => V): Aggregate<T, OrNull<V>> {
  return extreme('max', value)
}

interface ReducerSpec<T, A> {
  initial: A
  add: (acc: A, row: T) => A
  remove: (acc: A, row: T) => A
}

class ReducerState<T, A> extends ValueState<T, A> {
  constructor(readonly spec: ReducerSpec<T, A>) {
    super(spec.initial)
  }

  add(row: T, weight: number, undo: UndoLog): void {
    const before = this.current
    const step = weight > 0 ? this.spec.add : this.spec.remove
    let acc = before
    for (let i = Math.abs(weight); i > 0; i--) acc = step(acc, row)
    if (undo.active) undo.field(this, 'current', before)
    this.current = acc
  }
}

/**
 * A user-defined aggregate from an invertible reducer: `add` folds a row in, `remove` folds it out, so
 * each change costs one call. `remove(add(acc, row), row)` must equal `acc`. Accumulators are treated as
 * immutable values: return a new one rather than mutating.
 */
export function reducer<T, A>(spec: ReducerSpec<T, A>): Aggregate<T, A> {
  return {
    kind: 'reducer',
    text: `reducer(${textOf(spec.initial)}, ${spec.add.toString()}, ${spec.remove.toString()})`,
    init: () => new ReducerState(spec),
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
