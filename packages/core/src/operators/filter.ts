import type { Change, Delta } from '../zset'
import { BaseOperator, type Operator } from './operator'

/** σ: linear, so its incremental form is itself: Δσ(a) = σ(Δa). No state. */
export class FilterOperator extends BaseOperator {
  readonly kind = 'filter'

  constructor(
    input: Operator,
    readonly predicate: (row: unknown) => boolean,
  ) {
    super([input])
  }

  step([delta]: readonly Delta<unknown>[]): Delta<unknown> {
    const out: Change<unknown>[] = []
    for (const c of delta!) if (this.predicate(c.row)) out.push(c)
    return out
  }
}
