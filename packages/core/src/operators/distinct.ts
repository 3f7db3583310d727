import { keyId, type Key, type KeyId } from '../key'
import { KeyedZSet, change, eachSlotRow, savedRows, slotKey, slotRow, type Change, type Delta, type Slot } from '../zset'
import { NO_UNDO, type UndoLog } from '../undo'
import { BaseOperator, type Operator } from './operator'

/** What distinct shows for a key: its first row, while the key's total weight is positive. */
function shown<T>(id: KeyId, slot: Slot<T> | undefined): { key: Key; row: T } | undefined {
  if (slot === undefined) return undefined
  let total = 0
  eachSlotRow(id, slot, (_key, _row, w) => (total += w))
  return total > 0 ? { key: slotKey(id, slot), row: slotRow(slot) } : undefined
}

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
    const before = new Map<KeyId, { key: Key; row: unknown } | undefined>()
    for (const c of delta!) {
      const k = key ? key(c.row) : c.key
      const id = keyId(k)
      if (!before.has(id)) before.set(id, shown(id, state.slots.get(id)))
      state.add(k, id, c.row, c.weight, undo)
    }
    const out: Change<unknown>[] = []
    for (const [id, was] of before) {
      const now = shown(id, state.slots.get(id))
      if (was && now && was.row === now.row) continue
      if (was) out.push(change(was.key, was.row, -1))
      if (now) out.push(change(now.key, now.row, 1))
    }
    return out
  }

  save(): unknown {
    return savedRows([this.state])
  }

  load(saved: unknown): void {
    // Saved under the distinct key, which is what `step` keys by when there is no key function.
    const { state } = this
    for (const c of saved as Delta<unknown>) state.add(c.key, keyId(c.key), c.row, c.weight, NO_UNDO)
  }

  override stateSize(): number {
    return this.state.size
  }
}
