import type { Key, KeyId } from '../key'
import type { Plan } from '../relation'
import { change, changeMaker, pairOf, type Change, type Delta } from '../zset'
import type { UndoLog } from '../undo'
import { isUpdate, type Arrangement } from './arrangement'
import type { GroupByOperator } from './group-by'
import { BaseOperator } from './operator'

/**
 * An arrangement's pending changes by index key id, as chains of positions: `first` maps an id to the
 * position of its first change, and `next[i]` is the position of the next change with the same id after
 * position `i` (-1 at the end), in the delta's order. No array per index key.
 */
function chainPending(ids: readonly KeyId[]): { first: Map<KeyId, number>; next: Int32Array } {
  const first = new Map<KeyId, number>()
  const next = new Int32Array(ids.length)
  for (let i = ids.length - 1; i >= 0; i--) {
    const id = ids[i] as KeyId
    if (id === null) continue
    next[i] = first.get(id) ?? -1
    first.set(id, i)
  }
  return { first, next }
}

/**
 * A filter or map plan fused into the inner join that feeds it (see `Circuit`): applied to each joined
 * pair as the join makes it, so that a pair the filter drops is never made into a change, and a mapped
 * pair's key tuple and change are never made at all.
 */
export type Stage = Extract<Plan, { readonly kind: 'filter' | 'map' }>

const NO_STAGES: readonly Stage[] = []

/**
 * Inner equi-join, bilinear: Δ(a ⋈ b) = Δa ⋈ I(b) + I(a) ⋈ Δb + Δa ⋈ Δb, where I(a) and I(b) are the
 * arrangements as of the previous step. Keeps no state of its own: the arrangements are shared. Output
 * rows are `[left, right]` keyed `[leftKey, rightKey]`, or what the fused `stages` make of them.
 */
export class JoinOperator extends BaseOperator {
  readonly kind = 'join'

  constructor(
    readonly left: Arrangement,
    readonly right: Arrangement,
    readonly stages: readonly Stage[] = NO_STAGES,
    /** The group-by fused after the stages (see `GroupingJoinOperator`), which takes every pair instead of `out`. */
    readonly into?: GroupByOperator,
  ) {
    super([left, right])
  }

  override get label(): string {
    return [`join#${this.index}`, ...this.stages.map((s) => s.kind), ...(this.into ? [this.into.kind] : [])].join('→')
  }

  step(_inputs: readonly Delta<unknown>[], undo: UndoLog): Delta<unknown> {
    const out: Change<unknown>[] = []
    const stages = this.stages
    const into = this.into
    const left = this.left
    const right = this.right
    const { pending: da, pendingIds: daIds } = left
    const { pending: db, pendingIds: dbIds } = right
    const make = changeMaker(da.length + db.length)
    // An empty side (the build, when both inputs arrive in one step) has nothing to look up.
    if (right.size > 0)
      for (let i = 0; i < da.length; i++) {
        const indexId = daIds[i] as KeyId
        if (indexId === null) continue
        const a = da[i]!
        // An update that keeps its index key: its matches are walked once, each giving its −old and +new
        // pairs one after the other, so that a view downstream sees each joined row's update as an update.
        if (isUpdate(da, daIds, i)) {
          const to = da[++i]!
          if (into !== undefined)
            right.each(indexId, (_, row, weight) => into.absorbUpdate(staged(stages, a.row, row), staged(stages, to.row, row), weight, undo))
          else
            right.each(indexId, (bKey, row, weight) => {
              emit(out, stages, into, undo, make, a.key, a.row, bKey, row, -weight)
              emit(out, stages, into, undo, make, to.key, to.row, bKey, row, weight)
            })
        } else right.each(indexId, (bKey, row, weight) => emit(out, stages, into, undo, make, a.key, a.row, bKey, row, a.weight * weight))
      }
    if (left.size > 0)
      for (let i = 0; i < db.length; i++) {
        const indexId = dbIds[i] as KeyId
        if (indexId === null) continue
        const b = db[i]!
        if (isUpdate(db, dbIds, i)) {
          const to = db[++i]!
          if (into !== undefined)
            left.each(indexId, (_, row, weight) => into.absorbUpdate(staged(stages, row, b.row), staged(stages, row, to.row), weight, undo))
          else
            left.each(indexId, (aKey, row, weight) => {
              emit(out, stages, into, undo, make, aKey, row, b.key, b.row, -weight)
              emit(out, stages, into, undo, make, aKey, row, to.key, to.row, weight)
            })
        } else left.each(indexId, (aKey, row, weight) => emit(out, stages, into, undo, make, aKey, row, b.key, b.row, weight * b.weight))
      }
    if (da.length > 0 && db.length > 0) {
      const { first, next } = chainPending(dbIds)
      for (let i = 0; i < da.length; i++) {
        const indexId = daIds[i] as KeyId
        if (indexId === null) continue
        const a = da[i]!
        for (let j = first.get(indexId) ?? -1; j >= 0; j = next[j]!) {
          const b = db[j]!
          emit(out, stages, into, undo, make, a.key, a.row, b.key, b.row, a.weight * b.weight)
        }
      }
    }
    return into === undefined ? out : into.emit(undo)
  }
}

/**
 * An inner join with the group-by that reads it fused in (`join#4→filter→groupBy` in `describe()`): each
 * pair, through the stages, goes straight into its group, and the operator's output is the group-by's. In
 * a large step (a build) the pairs then die as they are made, instead of all living as changes until the
 * group-by has read them. Its state is the group-by's, saved in the group-by's place.
 */
export class GroupingJoinOperator extends JoinOperator {
  constructor(left: Arrangement, right: Arrangement, stages: readonly Stage[], override readonly into: GroupByOperator) {
    super(left, right, stages, into)
  }

  reset(): void {
    this.into.reset()
  }

  save(): unknown {
    return this.into.save()
  }

  load(saved: unknown): void {
    this.into.load(saved)
  }

  override stateSize(): number {
    return this.into.stateSize()
  }
}

/**
 * Hands one joined pair, through the fused stages (nothing when a filter drops it), to the fused
 * group-by, or adds its change to `out`, made by `make` (`bulkChange` in a large step).
 */
function emit(
  out: Change<unknown>[],
  stages: readonly Stage[],
  into: GroupByOperator | undefined,
  undo: UndoLog,
  make: typeof change,
  aKey: Key,
  a: unknown,
  bKey: Key,
  b: unknown,
  weight: number,
): void {
  if (into !== undefined) {
    const row = staged(stages, a, b)
    if (row !== DROPPED) into.absorb(row, weight, undo)
    return
  }
  if (stages.length === 0) {
    out.push(make(pairOf(aKey, bKey), pairOf(a, b), weight))
    return
  }
  let row: unknown = pairOf(a, b)
  // A map without a key keeps its input's key: the pair's, made only if no map gives one.
  let key: Key | undefined
  for (let i = 0; i < stages.length; i++) {
    const stage = stages[i]!
    if (stage.kind === 'filter') {
      if (!stage.fn(row)) return
    } else {
      row = stage.fn(row)
      if (stage.key !== undefined) key = stage.key(row)
    }
  }
  out.push(make(key === undefined ? pairOf(aKey, bKey) : key, row, weight))
}

/** What `staged` returns for a pair a fused filter drops. */
export const DROPPED: unique symbol = Symbol('dropped by a fused filter')

/** The pair (a, b) through the fused filters and maps, for a fused group-by (which needs no key): the row, or `DROPPED`. */
function staged(stages: readonly Stage[], a: unknown, b: unknown): unknown {
  let row: unknown = pairOf(a, b)
  for (let i = 0; i < stages.length; i++) {
    const stage = stages[i]!
    if (stage.kind === 'filter') {
      if (!stage.fn(row)) return DROPPED
    } else row = stage.fn(row)
  }
  return row
}

/**
 * Semi-join (rows of a with a match in b) and anti-join (rows of a without one). Whether a key of a
 * matches depends only on whether b's total weight under it is positive, so a change to b matters only
 * when it flips that for a key: then every row of a under the key enters or leaves. This is what makes
 * the 1:many case right: a row of a appears once however many rows of b match it.
 */
export class MatchJoinOperator extends BaseOperator {
  readonly kind: 'semiJoin' | 'antiJoin'

  constructor(
    readonly left: Arrangement,
    readonly right: Arrangement,
    readonly mode: 'semi' | 'anti',
  ) {
    super([left, right])
    this.kind = mode === 'semi' ? 'semiJoin' : 'antiJoin'
  }

  step(): Delta<unknown> {
    const out: Change<unknown>[] = []
    const keep = this.mode === 'semi'
    const right = this.right
    // Net change of b's weight per touched index key.
    const db = new Map<KeyId, number>()
    const changes = right.pending
    const ids = right.pendingIds
    for (let i = 0; i < changes.length; i++) {
      const indexId = ids[i] as KeyId
      if (indexId !== null) db.set(indexId, (db.get(indexId) ?? 0) + changes[i]!.weight)
    }
    const weightBefore = (id: KeyId) => right.weightAt(id)

    // Keys whose match flipped: I(a) as of the previous step enters or leaves. This goes before Δa: keyed
    // state downstream keeps the row added last, so an updated row's −old/+new must come after the old
    // row's re-entry, or the old row would be left standing.
    for (const [id, dw] of db) {
      const before = weightBefore(id)
      const wasMatched = before > 0
      const isMatched = before + dw > 0
      if (wasMatched === isMatched) continue
      const sign = isMatched === keep ? 1 : -1
      this.left.each(id, (key, row, weight) => out.push(change(key, row, sign * weight)))
    }
    // Δa against b as of the end of this step.
    const left = this.left.pending
    const leftIds = this.left.pendingIds
    for (let i = 0; i < left.length; i++) {
      const indexId = leftIds[i] as KeyId
      const matched = indexId !== null && weightBefore(indexId) + (db.get(indexId) ?? 0) > 0
      if (matched === keep) out.push(left[i]!)
    }
    return out
  }
}

/** Pads an anti-join's rows into a left join's unmatched rows: `[row, undefined]` keyed `[key]`. */
export class PadOperator extends BaseOperator {
  readonly kind = 'pad'

  constructor(input: BaseOperator) {
    super([input])
  }

  step([delta]: readonly Delta<unknown>[]): Delta<unknown> {
    return delta!.map((c) => change([c.key], pairOf(c.row, undefined), c.weight))
  }
}
