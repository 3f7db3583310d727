import { CountAggregate, type Aggregate, type AggregateState } from '../aggregates'
import { keyId, type Key, type KeyId } from '../key'
import { changeMaker, type Change, type Delta } from '../zset'
import type { UndoLog } from '../undo'
import { DROPPED } from './join'
import { BaseOperator, type Operator } from './operator'

/** The states of a group whose aggregates are all counts: one shared empty array. */
const NO_STATES: AggregateState<unknown, unknown>[] = []

interface GroupState {
  readonly key: Key
  /** Total weight of the group's rows (what `count()` returns); the group exists while it is positive. */
  count: number
  /** The states of the aggregates other than `count()`, in order. */
  readonly states: AggregateState<unknown, unknown>[]
  /** The output row last emitted for the group. */
  row: Record<string, unknown> | undefined
  /** The step that last touched the group, and the row it had before that step. */
  step: number
  before: Record<string, unknown> | undefined
}

/**
 * Group-by with aggregates. Keying rows by group is linear; each aggregate keeps a running state per
 * group that absorbs a change in O(1) (count, sum, avg, reducers) or O(log n) (min, max). Per step only
 * the touched groups are re-read: each emits −old/+new output rows, or nothing when no aggregate moved.
 */
export class GroupByOperator extends BaseOperator {
  readonly kind = 'groupBy'
  readonly groups = new Map<KeyId, GroupState>()
  readonly names: readonly string[]
  /** The aggregates that keep a state per group: all but `count()`, read from the group's weight. */
  readonly stateful: readonly Aggregate<unknown, unknown>[]
  /** Per aggregate, in order of `names`: whether it is `count()`. */
  readonly #counts: readonly boolean[]
  /**
   * The groups the current step touched so far, in the order it first touched them. A new array for each
   * step that touches any: emptying one by setting its length is a call into the runtime, and V8 then
   * gives it a new backing store anyway.
   */
  #touched: GroupState[] = []
  /** The current step's number, to tell the groups it touched without a set of them; advanced as it ends. */
  #step = 1

  /** `input` is undefined when the group-by is fused into the join that feeds it (`absorb`, `emit`). */
  constructor(
    input: Operator | undefined,
    readonly key: (row: unknown) => Key,
    aggregates: Readonly<Record<string, Aggregate<unknown, unknown>>>,
  ) {
    super(input === undefined ? [] : [input])
    this.names = Object.keys(aggregates)
    const all = Object.values(aggregates)
    this.#counts = all.map((a) => a instanceof CountAggregate)
    this.stateful = all.filter((a) => !(a instanceof CountAggregate))
    if (this.names.includes('key')) throw new RangeError("groupBy: an aggregate may not be named 'key'")
  }

  step([delta]: readonly Delta<unknown>[], undo: UndoLog): Delta<unknown> {
    const step = this.#step
    const touched = this.#touched
    const key = this.key
    // By index: an unoptimized for-of (a build's one long step) makes an iterator result per change.
    const changes = delta!
    for (let i = 0; i < changes.length; i++) {
      const c = changes[i]!
      const next = changes[i + 1]
      // An update: −old, +new under one row key, next to each other.
      if (next !== undefined && next.weight === -c.weight && next.key === c.key) {
        this.#update(c.row, next.row, next.weight, step, touched, undo)
        i++
        continue
      }
      const k = key(c.row)
      this.#add(this.#groupOf(k, keyId(k), step, touched, undo), c.row, c.weight, undo)
    }
    return this.emit(undo)
  }

  /** Adds `weight` of `row` to its group, in the current step. */
  absorb(row: unknown, weight: number, undo: UndoLog): void {
    const k = this.key(row)
    this.#add(this.#groupOf(k, keyId(k), this.#step, this.#touched, undo), row, weight, undo)
  }

  /**
   * One joined row's update from a fused join (`absorb` otherwise): `before` leaves with `weight` and
   * `after` enters with it, either `DROPPED` where a fused filter dropped it. Both in one group: the count
   * stays and each aggregate takes the pair at once, as in `step`.
   */
  absorbUpdate(before: unknown, after: unknown, weight: number, undo: UndoLog): void {
    if (before !== DROPPED && after !== DROPPED) return this.#update(before, after, weight, this.#step, this.#touched, undo)
    if (before !== DROPPED) this.absorb(before, -weight, undo)
    if (after !== DROPPED) this.absorb(after, weight, undo)
  }

  /**
   * `before` leaves its group with `weight` and `after` enters its own. In one group (the row kept its
   * group key) the count stays and each aggregate takes the pair at once: min/max do nothing when the
   * value they read is the same. A group-by of counts alone has nothing to do for such a pair: the
   * group is neither read nor touched, so the step does not re-read it at its end.
   */
  #update(before: unknown, after: unknown, weight: number, step: number, touched: GroupState[], undo: UndoLog): void {
    const k = this.key(before)
    const id = keyId(k)
    const nextKey = this.key(after)
    const nextId = keyId(nextKey)
    if (nextId === id) {
      if (this.stateful.length > 0) this.#replace(this.#groupOf(k, id, step, touched, undo), before, after, weight, undo)
      return
    }
    this.#add(this.#groupOf(k, id, step, touched, undo), before, -weight, undo)
    this.#add(this.#groupOf(nextKey, nextId, step, touched, undo), after, weight, undo)
  }

  /** The group of key `k` (made if new), marked as touched by the current step. */
  #groupOf(k: Key, id: KeyId, step: number, touched: GroupState[], undo: UndoLog): GroupState {
    const groups = this.groups
    const group = groups.get(id)
    if (group === undefined) {
      const created: GroupState = { key: k, count: 0, states: this.#init(), row: undefined, step, before: undefined }
      groups.set(id, created)
      if (undo.active) undo.entry(groups, id, undefined)
      touched.push(created)
      return created
    }
    if (group.step !== step) {
      group.step = step
      group.before = group.row
      touched.push(group)
    }
    return group
  }

  #add(g: GroupState, row: unknown, weight: number, undo: UndoLog): void {
    if (undo.active) undo.field(g, 'count', g.count)
    g.count += weight
    const states = g.states
    for (let i = 0; i < states.length; i++) states[i]!.add(row, weight, undo)
  }

  /** `before` leaves `g` and `after` enters it, each with `weight`: the count stays as it is. */
  #replace(g: GroupState, before: unknown, after: unknown, weight: number, undo: UndoLog): void {
    const states = g.states
    for (let i = 0; i < states.length; i++) {
      const state = states[i]!
      if (state.replace !== undefined) state.replace(before, after, weight, undo)
      else {
        state.add(before, -weight, undo)
        state.add(after, weight, undo)
      }
    }
  }

  /** Ends the current step: −old/+new output rows for each group it touched whose aggregates moved. */
  emit(undo: UndoLog): Delta<unknown> {
    const { groups } = this
    const touched = this.#touched
    const out: Change<unknown>[] = []
    const make = changeMaker(touched.length)
    for (const group of touched) {
      const before = group.before
      const after = group.count > 0 ? this.#row(group) : undefined
      group.before = undefined
      if (before && after && this.#sameAggregates(before, after)) continue
      if (before) out.push(make(group.key, before, -1))
      if (after) out.push(make(group.key, after, 1))
      if (undo.active) undo.field(group, 'row', before)
      group.row = after
      if (group.count <= 0) {
        const id = keyId(group.key)
        groups.delete(id)
        if (undo.active) undo.entry(groups, id, group)
      }
    }
    this.reset()
    return out
  }

  /** Forgets the groups a step touched (after it ended, or failed before it could end). */
  reset(): void {
    if (this.#touched.length > 0) this.#touched = []
    this.#step++
  }

  #init(): AggregateState<unknown, unknown>[] {
    const stateful = this.stateful
    return stateful.length === 0 ? NO_STATES : stateful.map((a) => a.init())
  }

  #row(group: GroupState): Record<string, unknown> {
    const row: Record<string, unknown> = { key: group.key }
    const names = this.names
    const counts = this.#counts
    for (let i = 0, s = 0; i < names.length; i++) row[names[i]!] = counts[i] ? group.count : group.states[s++]!.result()
    return row
  }

  #sameAggregates(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
    for (const n of this.names) if (!Object.is(a[n], b[n])) return false
    return true
  }

  save(): unknown {
    const groups: [Key, number, Record<string, unknown> | undefined, unknown[]][] = []
    for (const g of this.groups.values()) {
      // One saved state per aggregate, in order, as when a count had a state of its own.
      const states: unknown[] = []
      for (let i = 0, s = 0; i < this.#counts.length; i++) {
        if (this.#counts[i]) {
          states.push(g.count)
          continue
        }
        const state = g.states[s++]!
        if (!state.save) return undefined
        states.push(state.save())
      }
      groups.push([g.key, g.count, g.row, states])
    }
    return groups
  }

  load(saved: unknown): void {
    for (const [key, count, row, states] of saved as [Key, number, Record<string, unknown> | undefined, unknown[]][]) {
      const group: GroupState = { key, count, states: this.#init(), row, step: 0, before: undefined }
      for (let i = 0, s = 0; i < this.#counts.length; i++) if (!this.#counts[i]) group.states[s++]!.load!(states[i])
      this.groups.set(keyId(key), group)
    }
  }

  override stateSize(): number {
    return this.groups.size
  }
}
