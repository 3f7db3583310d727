import type { Key } from '../key'
import type { Change, Delta } from '../zset'
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
    let i = 0
    for (const c of delta!) {
      const row = fn(c.row)
      out[i++] = { key: key ? key(row) : c.key, row, weight: c.weight }
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
      for (const row of fn(c.row)) out.push({ key: key ? key(row) : [c.key, i++], row, weight: c.weight })
    }
    return out
  }
}
