/**
 * Row identity. Every row of every stream has a key: input collections take it from their primary key,
 * operators derive it (a join pairs its inputs' keys, a group-by uses the group key). Keys are compared by
 * value, never by reference: `[1, 'a']` and another `[1, 'a']` are the same key.
 */
export type Key = string | number | boolean | null | readonly Key[]

/** A key encoded as a `Map` key: primitives stand for themselves, tuples become a tagged string. */
export type KeyId = string | number | boolean | null

// Tuples are encoded as JSON behind a NUL tag. A string key that itself starts with the tag is encoded the
// same way (as a JSON string), so no string can ever collide with a tuple's encoding.
const TAG = '\u0000'

/** The `Map` key of a key: O(1) for primitive keys, one `JSON.stringify` for tuple keys. */
export function keyId(key: Key): KeyId {
  if (typeof key === 'string') return key.charCodeAt(0) === 0 ? TAG + JSON.stringify(key) : key
  if (typeof key === 'object' && key !== null) return TAG + JSON.stringify(key)
  return key
}

/** True when `value` can serve as a key (what `keyId` accepts). */
export function isKey(value: unknown): value is Key {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true
    case 'number':
      return !Number.isNaN(value)
    case 'object':
      return value === null || (Array.isArray(value) && value.every(isKey))
    default:
      return false
  }
}

const typeRank = (v: unknown): number => {
  if (v === undefined) return 0
  if (v === null) return 1
  switch (typeof v) {
    case 'boolean':
      return 2
    case 'number':
    case 'bigint':
      return 3
    case 'string':
      return 5
    default:
      return v instanceof Date ? 4 : Array.isArray(v) ? 6 : 7
  }
}

/**
 * The total order used for sorting (orderBy, min, max) and for breaking ties by key:
 * undefined < null < booleans < numbers < dates < strings < arrays (lexicographic) < other objects.
 * Strings compare by code unit, as SQLite's default BINARY collation does.
 */
export function compareValues(a: unknown, b: unknown): number {
  const ra = typeRank(a)
  const rb = typeRank(b)
  if (ra !== rb) return ra - rb
  switch (ra) {
    case 2:
    case 3:
    case 5:
      return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0
    case 4:
      return (a as Date).getTime() - (b as Date).getTime()
    case 6: {
      const xs = a as readonly unknown[]
      const ys = b as readonly unknown[]
      const n = Math.min(xs.length, ys.length)
      for (let i = 0; i < n; i++) {
        const c = compareValues(xs[i], ys[i])
        if (c !== 0) return c
      }
      return xs.length - ys.length
    }
    default:
      return 0
  }
}
