import { keyId, type Key, type KeyId } from '../key'
import { KeyedZSet, type Change, type Delta, type Entry } from '../zset'
import type { UndoLog } from '../undo'
import { BaseOperator, type Operator } from './operator'

/**
 * distinct, by DBSP's H rule: a key is in the output while its integrated weight is positive, so only
 * keys whose weight crosses zero in this step produce output. State: the integrated weight per key.
 */
export class DistinctOperator extends BaseOperator {
  readonly kind = 'distinct'
  readonly state = new KeyedZSet<unknown>()

  constructor(
    input: Operator,
    readonly key: ((row: unknown) => Key) | undefined,
  ) {
    super([input])
  }

  step([delta]: readonly Delta<unknown>[], undo: UndoLog): Delta<unknown> {
    const { state, key } = this
    // For each touched key, what it was before this step: the row shown, or undefined if absent.
    const before = new Map<KeyId, Entry<unknown> | undefined>()
    for (const c of delta!) {
      const k = key ? key(c.row) : c.key
      const id = keyId(k)
      if (!before.has(id)) {
        const e = state.entries.get(id)
        before.set(id, e && e.weight > 0 ? { key: e.key, row: e.row, weight: 1 } : undefined)
      }
      state.add(k, id, c.row, c.weight, undo)
    }
    const out: Change<unknown>[] = []
    for (const [id, was] of before) {
      const e = state.entries.get(id)
      const now = e && e.weight > 0 ? e : undefined
      if (was && now && was.row === now.row) continue
      if (was) out.push({ key: was.key, row: was.row, weight: -1 })
      if (now) out.push({ key: now.key, row: now.row, weight: 1 })
    }
    return out
  }

  override stateSize(): number {
    return this.state.size
  }
}
