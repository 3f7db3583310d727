import { keyId, type Key, type KeyId } from './key'
import type { UndoLog } from './undo'

/**
 * One element of a Z-set delta: `row` under `key`, with an integer `weight` (+1 insert, −1 delete;
 * an update is −1 old and +1 new under the same key). Deltas are arrays of changes and need not be
 * consolidated: the same key may appear more than once, and weights add up.
 */
export interface Change<T> {
  readonly key: Key
  readonly row: T
  readonly weight: number
}

/** A Z-set of changes, the unit that flows along every edge of a circuit in one step. */
export type Delta<T> = readonly Change<T>[]

/** A row held in integrated state, with its accumulated weight. */
export interface Entry<T> {
  readonly key: Key
  row: T
  weight: number
}

/**
 * An integrated Z-set indexed by row key: the state of distinct, of view sinks and of each group of an
 * arrangement. Invariant: a key holds one row; when a positive weight is added under a key that is
 * present, the added row replaces the held one ("the latest insert wins"). That makes −old/+new and
 * +new/−old both leave `new` behind, so updates need no particular order inside a delta.
 */
export class KeyedZSet<T> {
  readonly entries = new Map<KeyId, Entry<T>>()
  /** Sum of all weights. */
  weight = 0

  get size(): number {
    return this.entries.size
  }

  get(key: Key): Entry<T> | undefined {
    return this.entries.get(keyId(key))
  }

  /** Adds `weight` of `row` under `key`, recording how to undo it; returns the entry's new weight. */
  add(key: Key, id: KeyId, row: T, weight: number, undo: UndoLog): number {
    const entries = this.entries
    const entry = entries.get(id)
    this.weight += weight
    if (entry === undefined) {
      entries.set(id, { key, row, weight })
      if (undo.active)
        undo.record(() => {
          entries.delete(id)
          this.weight -= weight
        })
      return weight
    }
    const before = entry.row
    const w = entry.weight + weight
    if (w === 0) entries.delete(id)
    else {
      entry.weight = w
      if (weight > 0) entry.row = row
    }
    if (undo.active)
      undo.record(() => {
        entry.weight = w - weight
        entry.row = before
        entries.set(id, entry)
        this.weight -= weight
      })
    return w
  }
}

/**
 * Structural equality of rows: primitives by `Object.is`, arrays and plain objects member by member,
 * dates by time. Used where a view decides whether an updated row really changed, so an update that
 * produces an equal row keeps the old object (and its identity for UI memoization).
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false
    return true
  }
  if (Array.isArray(b)) return false
  if (a instanceof Date || b instanceof Date)
    return a instanceof Date && b instanceof Date && a.getTime() === b.getTime()
  const ka = Object.keys(a)
  if (ka.length !== Object.keys(b).length) return false
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false
    if (!deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false
  }
  return true
}
