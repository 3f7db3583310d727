import { keyId, type Key, type KeyId } from '../key'
import type { UndoLog } from '../undo'
import { elem, type Elem, type NestedOp, type WorkCounter } from './nested'

/** Elements grouped by id with a summed weight; zero-weight elements are removed. */
class Bag {
  readonly elems = new Map<string, Elem>()

  add(e: Elem): void {
    const old = this.elems.get(e.id)
    const w = (old?.weight ?? 0) + e.weight
    if (w === 0) this.elems.delete(e.id)
    else this.elems.set(e.id, { id: e.id, key: e.key, row: e.row, weight: w })
  }
}

/** One side of a 2-D join: the past per index key and iteration, and this step's changes so far. */
class JoinSide {
  /** p[i] per index key: Σ over past steps of δ[t'][i]. */
  readonly past = new Map<KeyId, Map<number, Bag>>()
  /** How many (key, iteration) buckets the past has at each iteration, so empty iterations are skipped. */
  readonly pastAt = new Map<number, number>()
  /** C(i): Σ over this step's iterations so far, per index key. */
  current = new Map<KeyId, Bag>()
  /** This step's changes with their iteration, to fold into the past at commit. */
  log: { i: number; id: KeyId; e: Elem }[] = []

  constructor(readonly indexKey: (row: unknown) => Key) {}

  /** P(i): the past up to and including iteration i, under one index key. */
  *pastUpTo(id: KeyId, i: number): Iterable<Elem> {
    const byIter = this.past.get(id)
    if (byIter) for (const [it, bag] of byIter) if (it <= i) yield* bag.elems.values()
  }

  pastAtIteration(id: KeyId, i: number): Iterable<Elem> {
    return this.past.get(id)?.get(i)?.elems.values() ?? []
  }

  idOf(e: Elem): KeyId | undefined {
    const k = this.indexKey(e.row)
    return k == null ? undefined : keyId(k)
  }

  addCurrent(i: number, id: KeyId, e: Elem): void {
    let bag = this.current.get(id)
    if (bag === undefined) this.current.set(id, (bag = new Bag()))
    bag.add(e)
    this.log.push({ i, id, e })
  }

  commit(undo: UndoLog): void {
    const log = this.log
    this.#apply(log, 1)
    // Weights are integers and empty buckets are dropped, so folding the same log back in with the
    // opposite sign restores the past exactly: one closure per step instead of one per element.
    if (undo.active && log.length > 0) undo.record(() => this.#apply(log, -1))
    this.reset()
  }

  #apply(log: readonly { i: number; id: KeyId; e: Elem }[], sign: 1 | -1): void {
    for (const { i, id, e } of log) {
      let byIter = this.past.get(id)
      if (byIter === undefined) this.past.set(id, (byIter = new Map()))
      let bag = byIter.get(i)
      if (bag === undefined) {
        byIter.set(i, (bag = new Bag()))
        this.pastAt.set(i, (this.pastAt.get(i) ?? 0) + 1)
      }
      bag.add(sign === 1 ? e : { ...e, weight: -e.weight })
      if (bag.elems.size === 0) {
        byIter.delete(i)
        const n = this.pastAt.get(i)! - 1
        if (n === 0) this.pastAt.delete(i)
        else this.pastAt.set(i, n)
        if (byIter.size === 0) this.past.delete(id)
      }
    }
  }

  reset(): void {
    this.current = new Map()
    this.log = []
  }

  maxPastIteration(): number {
    let max = -1
    for (const i of this.pastAt.keys()) if (i > max) max = i
    return max
  }

  size(): number {
    let n = 0
    for (const byIter of this.past.values()) for (const bag of byIter.values()) n += bag.elems.size
    return n
  }
}

/**
 * Inner join of two 2-D streams. With P(i) the past up to iteration i, p[i] the past at iteration i,
 * C(i) this step's changes up to iteration i, and d the changes at iteration i:
 *   δ(a ⋈ b)[t][i] = d_a ⋈ (P_b(i) + C_b(i−1)) + d_a ⋈ d_b + (P_a(i) + C_a(i−1)) ⋈ d_b
 *                  + C_a(i−1) ⋈ p_b[i] + p_a[i] ⋈ C_b(i−1)
 * The last two terms are how old derivations meet new facts: at iteration i, this step's earlier
 * changes join what the past derived at i. Every term iterates a change and looks the past up by key.
 */
export class NestedJoin implements NestedOp {
  index = -1
  readonly left: JoinSide
  readonly right: JoinSide

  constructor(
    readonly inputs: readonly NestedOp[],
    leftKey: (row: unknown) => Key,
    rightKey: (row: unknown) => Key,
    readonly counter: WorkCounter,
  ) {
    this.left = new JoinSide(leftKey)
    this.right = new JoinSide(rightKey)
  }

  iterate(i: number, [da, db]: readonly Elem[][]): Elem[] {
    const { left, right, counter } = this
    const out: Elem[] = []
    const emit = (a: Elem, b: Elem) => {
      counter.work++
      out.push(elem([a.key, b.key], [a.row, b.row], a.weight * b.weight))
    }
    if (right.pastAt.has(i))
      for (const [id, bag] of left.current) for (const b of right.pastAtIteration(id, i)) for (const a of bag.elems.values()) emit(a, b)
    if (left.pastAt.has(i))
      for (const [id, bag] of right.current) for (const a of left.pastAtIteration(id, i)) for (const b of bag.elems.values()) emit(a, b)
    const ia = da!.map((e) => left.idOf(e))
    const ib = db!.map((e) => right.idOf(e))
    da!.forEach((a, n) => {
      counter.work++
      const id = ia[n]
      if (id === undefined) return
      for (const b of right.pastUpTo(id, i)) emit(a, b)
      for (const b of right.current.get(id)?.elems.values() ?? []) emit(a, b)
    })
    db!.forEach((b, n) => {
      counter.work++
      const id = ib[n]
      if (id === undefined) return
      for (const a of left.pastUpTo(id, i)) emit(a, b)
      for (const a of left.current.get(id)?.elems.values() ?? []) emit(a, b)
    })
    da!.forEach((a, n) => {
      const id = ia[n]
      if (id === undefined) return
      db!.forEach((b, m) => {
        if (ib[m] === id) emit(a, b)
      })
    })
    da!.forEach((a, n) => ia[n] !== undefined && left.addCurrent(i, ia[n], a))
    db!.forEach((b, n) => ib[n] !== undefined && right.addCurrent(i, ib[n], b))
    return out
  }

  commit(undo: UndoLog): void {
    this.left.commit(undo)
    this.right.commit(undo)
  }

  reset(): void {
    this.left.reset()
    this.right.reset()
  }

  maxPastIteration(): number {
    return Math.max(this.left.maxPastIteration(), this.right.maxPastIteration())
  }

  stateSize(): number {
    return this.left.size() + this.right.size()
  }
}
