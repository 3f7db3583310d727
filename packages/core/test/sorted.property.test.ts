import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { keyId } from '../src/key'
import { selectLeast, SortedRows, sortKeyComparator, type SortKey } from '../src/sorted'
import { UndoLog } from '../src/undo'
import { Entry } from '../src/zset'

/*
 * SortedRows keeps its rows of positive weight in sort order in a B+ tree; with a bound, only a head of
 * that order is placed and the rest waits unsorted. Checked after every change and every rollback,
 * against sorting the rows it holds: the tree holds exactly a prefix of the order, every placed row at the
 * sort value of its current row, and while rows are left out the prefix is at least `bound` rows long.
 * A small `loadMin` makes a few dozen rows enough to leave rows out and to drain and load the tree.
 */

interface Row {
  readonly v: number
}

/**
 * A change to the row under `key`: an insert when there is none, else a delete or an update to `v`; or,
 * with `first`, a delete of the row that sorts first, which drains the tree's head.
 */
interface Op {
  readonly key: number
  readonly v: number
  readonly remove: boolean
  readonly first: boolean
}

const op: fc.Arbitrary<Op> = fc.record({ key: fc.nat(40), v: fc.nat(20), remove: fc.boolean(), first: fc.boolean() })

interface Change {
  readonly key: number
  readonly row: Row
  readonly weight: number
}

/** The Z-set changes of `ops` against the rows in `held` (updated as it goes), in `direction`. */
function changesOf(ops: readonly Op[], held: Map<number, Row>, direction: 'asc' | 'desc'): Change[] {
  const out: Change[] = []
  const compare = sortKeyComparator(direction)
  for (const { key: drawn, v, remove, first } of ops) {
    let key = drawn
    if (first && held.size > 0) {
      const keys = Array.from(held, ([k, row]) => ({ key: k, value: row.v })).sort(compare)
      key = keys[0]!.key
    }
    const old = held.get(key)
    const removal = old === undefined ? [] : [{ key, row: old, weight: -1 }]
    if (old !== undefined && (remove || first)) {
      held.delete(key)
      out.push(...removal)
    } else {
      const row = { v }
      held.set(key, row)
      // An update with an odd new value adds the new row first: the key's entry then stays and changes row.
      out.push(...(v % 2 === 1 ? [{ key, row, weight: 1 }, ...removal] : [...removal, { key, row, weight: 1 }]))
    }
  }
  return out
}

/** A batch of changes, whether it goes in through `fill` when the rows are empty, and whether it is rolled back. */
const batch = fc.record({ ops: fc.array(op, { minLength: 1, maxLength: 30 }), fill: fc.boolean(), rollBack: fc.boolean() })

/** The tree's rows in order, each with the sort value it is placed at. */
function placed(sorted: SortedRows<Row>): [number, unknown][] {
  return Array.from(sorted.tree.values(), (e) => [e.key as number, e.value])
}

/** Every key's first row, if of positive weight, in the order's order (a bare row is its key's row of weight 1). */
function expected(sorted: SortedRows<Row>): [number, unknown][] {
  const rows: SortKey[] = []
  for (const [id, slot] of sorted.rows.slots) {
    if (!(slot instanceof Entry)) rows.push({ key: id, value: sorted.order.value(slot) })
    else if (slot.weight > 0) rows.push({ key: slot.key, value: sorted.order.value(slot.row) })
  }
  return rows.sort(sorted.compare).map((k) => [k.key as number, k.value])
}

/** How each key is held, by key: in an entry, or bare. */
function holding(sorted: SortedRows<Row>): [number, string][] {
  return Array.from(sorted.rows.slots, ([id, slot]): [number, string] => [id as number, slot instanceof Entry ? 'entry' : 'bare']).sort((a, b) => a[0] - b[0])
}

function checkHead(sorted: SortedRows<Row>): void {
  const all = expected(sorted)
  const head = placed(sorted)
  expect(head).toEqual(all.slice(0, head.length))
  if (head.length < all.length) expect(head.length).toBeGreaterThanOrEqual(Math.max(sorted.bound, 1))
  for (const e of sorted.tree.values()) expect(e.placed).toBe(true)
  // Only the rest may be held bare: a placed row is held in its entry.
  for (const e of sorted.tree.values()) expect(sorted.rows.slots.get(e.id)).toBe(e)
  if (head.length === all.length) for (const [, how] of holding(sorted)) expect(how).toBe('entry')
}

describe.each([
  ['unbounded', Infinity, 'asc' as const],
  ['bound 1', 1, 'asc' as const],
  ['bound 3', 3, 'asc' as const],
  ['bound 0', 0, 'desc' as const],
  ['bound 5, descending', 5, 'desc' as const],
])('SortedRows, %s', (_name, bound, direction) => {
  test('places a prefix of the order after every change and every rollback', () => {
    fc.assert(
      fc.property(fc.array(batch, { maxLength: 25 }), (batches) => {
        const sorted = new SortedRows<Row>({ value: (r) => (r as Row).v, direction }, bound, 4)
        let held = new Map<number, Row>()
        for (const { ops, fill, rollBack } of batches) {
          const before = placed(sorted)
          const heldBefore = holding(sorted)
          const undo = new UndoLog()
          const next = new Map(held)
          const changes = changesOf(ops, next, direction)
          if (fill && sorted.size === 0 && sorted.rows.size === 0) sorted.fill(changes, undo)
          else
            for (const c of changes) {
              sorted.add(c.key, keyId(c.key), c.row, c.weight, undo)
              checkHead(sorted)
            }
          checkHead(sorted)
          if (bound === Infinity) expect(sorted.size).toBe(expected(sorted).length)
          if (rollBack) {
            undo.rollback()
            expect(placed(sorted)).toEqual(before)
            expect(holding(sorted)).toEqual(heldBefore)
            checkHead(sorted)
          } else {
            undo.clear()
            held = next
          }
        }
      }),
      { numRuns: 200 },
    )
  })
})

describe('SortedRows with a bound, step by step', () => {
  // Bound 1 and loads of 4: rows v = 0..9 under keys 0..9 place 0–3 and leave 4–9 in the rest.
  const make = () => {
    const sorted = new SortedRows<Row>({ value: (r) => (r as Row).v, direction: 'asc' }, 1, 4)
    const rows = Array.from({ length: 10 }, (_, v) => ({ v }))
    sorted.fill(
      rows.map((row, key) => ({ key, row, weight: 1 })),
      new UndoLog(),
    )
    const set = (key: number, row: Row, weight: number, undo = new UndoLog()) => sorted.add(key, keyId(key), row, weight, undo)
    return { sorted, rows, set }
  }
  const keys = (sorted: SortedRows<Row>) => Array.from(sorted.tree.keys(), (e) => e.key)

  test('a fill places a head and leaves the rest out', () => {
    const { sorted } = make()
    expect(keys(sorted)).toEqual([0, 1, 2, 3])
    checkHead(sorted)
  })

  test('the rest is held bare: a fill and a load give entries only to the rows they place', () => {
    const { sorted, rows, set } = make()
    const bare = (sorted: SortedRows<Row>) => holding(sorted).filter(([, how]) => how === 'bare').map(([key]) => key)
    expect(bare(sorted)).toEqual([4, 5, 6, 7, 8, 9])
    for (const key of [0, 1, 2, 3]) set(key, rows[key]!, -1)
    expect(keys(sorted)).toEqual([4, 5, 6, 7])
    expect(bare(sorted)).toEqual([8, 9])
    // A new row that sorts into the head gets its entry; one past it waits bare.
    set(20, { v: 4.5 }, 1)
    set(21, { v: 50 }, 1)
    expect(keys(sorted)).toEqual([4, 20, 5, 6, 7])
    expect(bare(sorted)).toEqual([8, 9, 21])
    // Deleting a bare row and adding a second row under a bare key.
    set(8, rows[8]!, -1)
    set(9, { v: 60 }, 1)
    expect(bare(sorted)).toEqual([21])
    checkHead(sorted)
  })

  test('a row moved past the head by an update goes to the rest, and a drained head loads the next rows', () => {
    const { sorted, rows, set } = make()
    for (const key of [0, 1, 2]) set(key, rows[key]!, -1)
    expect(keys(sorted)).toEqual([3])
    // The head's only row moves past the rest: it must not stay placed alone. The new row comes first, so
    // the key's entry stays and its row changes.
    set(3, { v: 100 }, 1)
    set(3, rows[3]!, -1)
    expect(keys(sorted)).toEqual([4, 5, 6, 7])
    checkHead(sorted)
  })

  test('a rollback puts a row back at its old place after a load gave it a new sort value', () => {
    const { sorted, rows, set } = make()
    const undo = new UndoLog()
    set(0, { v: 100 }, 1, undo)
    set(0, rows[0]!, -1, undo)
    for (const key of [1, 2, 3]) set(key, rows[key]!, -1, undo)
    expect(keys(sorted)).toEqual([4, 5, 6, 7])
    undo.rollback()
    expect(placed(sorted)).toEqual([
      [0, 0],
      [1, 1],
      [2, 2],
      [3, 3],
    ])
    checkHead(sorted)
  })
})

describe('selectLeast', () => {
  test('moves the least `count` items to the front', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -20, max: 20 }), { minLength: 1, maxLength: 200 }), fc.nat(), (items, at) => {
        const count = 1 + (at % items.length)
        const copy = [...items]
        selectLeast(copy, count, (a, b) => a - b)
        const least = [...items].sort((a, b) => a - b).slice(0, count)
        expect(copy.slice(0, count).sort((a, b) => a - b)).toEqual(least)
        expect([...copy].sort((a, b) => a - b)).toEqual([...items].sort((a, b) => a - b))
      }),
    )
  })

  test('handles sorted, reversed and constant input of sort keys', () => {
    const compare = sortKeyComparator('asc')
    for (const make of [(i: number) => i, (i: number) => -i, () => 7]) {
      const keys: SortKey[] = Array.from({ length: 5000 }, (_, i) => ({ value: make(i), key: i }))
      const copy = [...keys]
      selectLeast(copy, 100, compare)
      expect(copy.slice(0, 100).sort(compare)).toEqual([...keys].sort(compare).slice(0, 100))
    }
  })
})
