import type { UndoLog } from '../undo'
import type { Elem, NestedOp, WorkCounter } from './nested'

interface Watched {
  readonly e: Elem
  /** Weight per iteration in the past (Σ over past steps). */
  readonly past: Map<number, number>
  /** Weight per iteration in this step. */
  readonly current: Map<number, number>
  /** Σ of past weights up to the previous iteration, and of past + current. */
  oldSum: number
  newSum: number
}

/**
 * distinct on a 2-D stream, by DBSP's nested H rule: with x(i) the integral up to iteration i,
 *   δ[t][i] = H(x_t(i)) − H(x_{t−1}(i)) − H(x_t(i−1)) + H(x_{t−1}(i−1)),  H(w) = w > 0 ? 1 : 0.
 * Only elements this step touched can have a non-zero δ; each is watched, with running sums, until the
 * fixpoint ends, and looked at only at iterations where it changes or its past holds a weight (elsewhere
 * δ is zero). This is what makes deletions exact, cycles included: an element stays while some
 * derivation of it remains at some iteration, and leaves when none does.
 */
export class NestedDistinct implements NestedOp {
  index = -1
  /** Per element: its weight at each iteration, summed over past steps. */
  readonly past = new Map<string, { e: Elem; byIter: Map<number, number> }>()
  readonly pastAt = new Map<number, number>()
  #watched = new Map<string, Watched>()
  /** Watched elements by the later iterations at which their past holds a weight. */
  #due = new Map<number, Set<Watched>>()

  constructor(
    readonly inputs: readonly NestedOp[],
    readonly counter: WorkCounter,
  ) {}

  iterate(i: number, [d]: readonly Elem[][]): Elem[] {
    // δ is zero for an element with neither a change nor a past weight at iteration i, so only those
    // with one are looked at: this iteration's input, and watched elements whose past has iteration i.
    const candidates = new Set<Watched>(this.#due.get(i))
    this.#due.delete(i)
    for (const e of d!) {
      this.counter.work++
      let w = this.#watched.get(e.id)
      if (w === undefined) {
        const past = this.past.get(e.id)?.byIter ?? new Map<number, number>()
        let sum = 0
        for (const [it, weight] of past) {
          if (it < i) sum += weight
          else if (it > i) this.#dueAt(it, w ?? (w = { e, past, current: new Map(), oldSum: 0, newSum: 0 }))
        }
        w ??= { e, past, current: new Map(), oldSum: 0, newSum: 0 }
        w.oldSum = sum
        w.newSum = sum
        this.#watched.set(e.id, w)
      }
      w.current.set(i, (w.current.get(i) ?? 0) + e.weight)
      candidates.add(w)
    }
    const out: Elem[] = []
    const H = (x: number) => (x > 0 ? 1 : 0)
    for (const w of candidates) {
      const p = w.past.get(i) ?? 0
      const c = w.current.get(i) ?? 0
      const oldNow = w.oldSum + p
      const newNow = w.newSum + p + c
      const delta = H(newNow) - H(oldNow) - H(w.newSum) + H(w.oldSum)
      w.oldSum = oldNow
      w.newSum = newNow
      if (delta !== 0) out.push({ id: w.e.id, key: w.e.key, row: w.e.row, weight: delta })
    }
    return out
  }

  #dueAt(i: number, w: Watched): void {
    let set = this.#due.get(i)
    if (set === undefined) this.#due.set(i, (set = new Set()))
    set.add(w)
  }

  commit(undo: UndoLog): void {
    const watched = this.#watched
    this.#apply(watched, 1)
    // As for joins: the same changes folded back with the opposite sign restore the past exactly.
    if (undo.active && watched.size > 0) undo.record(() => this.#apply(watched, -1))
    this.reset()
  }

  #apply(watched: ReadonlyMap<string, Watched>, sign: 1 | -1): void {
    for (const [id, w] of watched) {
      for (const [i, c] of w.current) {
        if (c === 0) continue
        let entry = this.past.get(id)
        if (entry === undefined) this.past.set(id, (entry = { e: w.e, byIter: new Map<number, number>() }))
        const before = entry.byIter.get(i) ?? 0
        const after = before + sign * c
        if (after === 0) entry.byIter.delete(i)
        else entry.byIter.set(i, after)
        this.#count(i, (before === 0 ? 1 : 0) - (after === 0 ? 1 : 0))
        if (entry.byIter.size === 0) this.past.delete(id)
      }
    }
  }

  #count(i: number, by: number): void {
    const n = (this.pastAt.get(i) ?? 0) + by
    if (n === 0) this.pastAt.delete(i)
    else this.pastAt.set(i, n)
  }

  reset(): void {
    this.#watched = new Map()
    this.#due = new Map()
  }

  maxPastIteration(): number {
    let max = -1
    for (const i of this.pastAt.keys()) if (i > max) max = i
    return max
  }

  stateSize(): number {
    return this.past.size
  }
}
