import { change, type Change, type Delta } from '../zset'
import { BaseOperator, type Operator } from './operator'

/** Z-set sum of its inputs: linear, Δ(a + b) = Δa + Δb. No state. */
export class UnionOperator extends BaseOperator {
  readonly kind = 'union'

  constructor(inputs: readonly Operator[]) {
    super(inputs)
  }

  step(deltas: readonly Delta<unknown>[]): Delta<unknown> {
    const out: Change<unknown>[] = []
    for (const d of deltas) for (const c of d) out.push(c)
    return out
  }
}

/** Z-set negation (every weight times −1): linear. Used by `except`. */
export class NegateOperator extends BaseOperator {
  readonly kind = 'negate'

  constructor(input: Operator) {
    super([input])
  }

  step([delta]: readonly Delta<unknown>[]): Delta<unknown> {
    return delta!.map((c) => change(c.key, c.row, -c.weight))
  }
}
