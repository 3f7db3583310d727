import { UsageError } from '../errors'
import { keyId, type Key, type KeyId } from '../key'
import type { UndoLog } from '../undo'

/**
 * The 2-D streams of a recursive view's body. DBSP evaluates a recursive view as a nested circuit: each
 * outer step t (a transaction) runs inner iterations i = 0, 1, … to a fixpoint, and every stream inside
 * is indexed by (t, i). Operators exchange δx[t][i], the change at iteration i of step t relative to
 * both step t−1 and iteration i−1, so a step does work only where its changes reach.
 *
 * Inside the body, an element's identity is its key *and* its row (`elementId`): the same key can carry
 * different rows at different iterations (a comment that moved to another depth), and Z-set algebra
 * must keep them apart.
 */
export interface Elem {
  readonly id: string
  readonly key: Key
  readonly row: unknown
  readonly weight: number
}

export const elementId = (key: Key, row: unknown): string => JSON.stringify([key, row]) ?? ''

export const elem = (key: Key, row: unknown, weight: number): Elem => ({ id: elementId(key, row), key, row, weight })

/** A vertex of the nested circuit. `iterate` runs once per inner iteration in topological order. */
export interface NestedOp {
  readonly inputs: readonly NestedOp[]
  index: number
  /** δout[t][i] from δin[t][i] and the operator's 2-D state. */
  iterate(i: number, inputs: readonly Elem[][]): Elem[]
  /** End of outer step t: fold this step's changes into the past (recorded on `undo`). */
  commit(undo: UndoLog): void
  /** Drop this step's changes without folding them (rollback). */
  reset(): void
  /** The last iteration at which the past holds anything (−1 when empty): the fixpoint runs at least that far. */
  maxPastIteration(): number
  /** Elements held in the past, for `describe`. */
  stateSize(): number
}

/** Counts rows touched inside a recursion, the time-independent measure of its work. */
export interface WorkCounter {
  work: number
}

abstract class Stateless implements NestedOp {
  index = -1
  constructor(readonly inputs: readonly NestedOp[]) {}
  abstract iterate(i: number, inputs: readonly Elem[][]): Elem[]
  commit(): void {}
  reset(): void {}
  maxPastIteration(): number {
    return -1
  }
  stateSize(): number {
    return 0
  }
}

/**
 * An outer relation used by the body (an input collection, the seed), or the recursive variable itself.
 * An outer relation is constant across iterations, so its 2-D change is its 1-D change at i = 0.
 * The variable (`self`) is the loop's output delayed by one iteration; the loop sets `next` for it.
 */
export class NestedSource extends Stateless {
  /** What this source emits at the next iteration (set by the fixpoint driver). */
  next: Elem[] = []

  constructor() {
    super([])
  }

  iterate(): Elem[] {
    const out = this.next
    this.next = []
    return out
  }
}

export class NestedFilter extends Stateless {
  constructor(
    input: NestedOp,
    readonly predicate: (row: unknown) => boolean,
  ) {
    super([input])
  }

  iterate(_i: number, [d]: readonly Elem[][]): Elem[] {
    return d!.filter((e) => this.predicate(e.row))
  }
}

export class NestedMap extends Stateless {
  constructor(
    input: NestedOp,
    readonly fn: (row: unknown) => unknown,
    readonly key: ((row: unknown) => Key) | undefined,
  ) {
    super([input])
  }

  iterate(_i: number, [d]: readonly Elem[][]): Elem[] {
    return d!.map((e) => {
      const row = this.fn(e.row)
      return elem(this.key ? this.key(row) : e.key, row, e.weight)
    })
  }
}

export class NestedFlatMap extends Stateless {
  constructor(
    input: NestedOp,
    readonly fn: (row: unknown) => Iterable<unknown>,
    readonly key: ((row: unknown) => Key) | undefined,
  ) {
    super([input])
  }

  iterate(_i: number, [d]: readonly Elem[][]): Elem[] {
    const out: Elem[] = []
    for (const e of d!) {
      let n = 0
      for (const row of this.fn(e.row)) out.push(elem(this.key ? this.key(row) : [e.key, n++], row, e.weight))
    }
    return out
  }
}

export class NestedUnion extends Stateless {
  iterate(_i: number, ds: readonly Elem[][]): Elem[] {
    return ds.flat()
  }
}

export class NestedNegate extends Stateless {
  iterate(_i: number, [d]: readonly Elem[][]): Elem[] {
    return d!.map((e) => ({ ...e, weight: -e.weight }))
  }
}

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

/** The operators a recursive body may not use yet, with what to do instead. */
export function unsupportedInBody(kind: string): UsageError {
  return new UsageError(
    `${kind} is not supported inside a recursive body (filter, map, flatMap, union, except, join and ` +
      `distinct are); apply it to the recursive view's result instead`,
  )
}
