import { UsageError } from '../errors'
import type { Key } from '../key'
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

/** The operators a recursive body may not use yet, with what to do instead. */
export function unsupportedInBody(kind: string): UsageError {
  return new UsageError(
    `${kind} is not supported inside a recursive body (filter, map, flatMap, union, except, join and ` +
      `distinct are); apply it to the recursive view's result instead`,
  )
}
