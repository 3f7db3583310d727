import { InternalError } from '../errors'
import type { Delta } from '../zset'
import type { Source } from '../relation'
import { BaseOperator } from './operator'

/** The source of a collection's changes: the circuit sets its output from the transaction directly. */
export class InputOperator extends BaseOperator {
  readonly kind = 'input'

  constructor(readonly source: Source) {
    super([])
  }

  step(): Delta<unknown> {
    throw new InternalError('an input operator is fed by the circuit, never stepped')
  }

  override get label(): string {
    return `input(${this.source.name})#${this.index}`
  }
}
