import type { Key } from '../key'
import { change, changeMaker, pairOf, type Change, type Delta } from '../zset'
import { BaseOperator, type Operator } from './operator'

/**
 * Row-wise transform: linear, Δmap(a) = map(Δa). No state: a deleted row is mapped again to retract what
 * its insertion produced, which is why map functions must be pure.
 */
export class MapOperator extends BaseOperator {
  readonly kind = 'map'

  constructor(
    input: Operator,
    readonly fn: (row: unknown) => unknown,
    readonly key: ((row: unknown) => Key) | undefined,
  ) {
    super([input])
  }

  step([delta]: readonly Delta<unknown>[]): Delta<unknown> {
    const { fn, key } = this
    const out: Change<unknown>[] = new Array(delta!.length)
    const make = changeMaker(delta!.length)
    let i = 0
    for (const c of delta!) {
      const row = fn(c.row)
      out[i++] = make(key ? key(row) : c.key, row, c.weight)
    }
    return out
  }
}

/** One row to many: linear, Δ = flatMap(Δa). Output keys are `[inputKey, index]` unless given. */
export class FlatMapOperator extends BaseOperator {
  readonly kind = 'flatMap'

  constructor(
    input: Operator,
    readonly fn: (row: unknown) => Iterable<unknown>,
    readonly key: ((row: unknown) => Key) | undefined,
  ) {
    super([input])
  }

  step([delta]: readonly Delta<unknown>[]): Delta<unknown> {
    const { fn, key } = this
    const out: Change<unknown>[] = []
    for (const c of delta!) {
      let i = 0
      for (const row of fn(c.row)) out.push(change(key ? key(row) : pairOf(c.key, i++), row, c.weight))
    }
    return out
  }
}
