import { keyId, type Key, type KeyId } from '../key'
import { change, deepEqual, type Change } from '../zset'

const UNSET = Symbol('unset')

interface Span {
  readonly key: Key
  /** The row before the first diff (undefined: absent), or UNSET until a change of the key is seen. */
  before: unknown
  /** The row after the last diff seen so far (undefined: absent). */
  after: unknown
}

/**
 * Composes consecutive diffs of one keyed set (oldest first) into the one diff that takes the set from
 * the state before the first to the state after the last: per key, −1 of the row it had and +1 of the row
 * it has, or nothing when they are equal. Within each diff, removals are taken before additions, as a
 * consolidated diff's −old/+new pair may come in either order.
 */
export function mergeDiffs(diffs: readonly (readonly Change<unknown>[])[]): Change<unknown>[] {
  const spans = new Map<KeyId, Span>()
  const span = (key: Key): Span => {
    const id = keyId(key)
    let s = spans.get(id)
    if (s === undefined) spans.set(id, (s = { key, before: UNSET, after: UNSET }))
    return s
  }
  for (const diff of diffs) {
    for (const c of diff) {
      if (c.weight >= 0) continue
      const s = span(c.key)
      if (s.before === UNSET) s.before = c.row
      s.after = undefined
    }
    for (const c of diff) {
      if (c.weight <= 0) continue
      const s = span(c.key)
      if (s.before === UNSET) s.before = undefined
      s.after = c.row
    }
  }
  const merged: Change<unknown>[] = []
  for (const { key, before, after } of spans.values()) {
    if (deepEqual(before, after)) continue
    if (before !== undefined) merged.push(change(key, before, -1))
    if (after !== undefined) merged.push(change(key, after, 1))
  }
  return merged
}
