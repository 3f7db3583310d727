import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { collection } from '../src/index'
import { InputOperator } from '../src/operators/input'
import { FILL_AT } from '../src/sorted'
import { TopKOperator } from '../src/operators/top-k'
import { NO_UNDO, UndoLog } from '../src/undo'
import { change, type Change, type Delta } from '../src/zset'

/*
 * The top-K operator's output delta: after each step, exactly the rows that entered or left the window,
 * and −old/+new for a row that stayed with a new row object. (Views built on it cannot tell extra
 * −row/+row pairs of an unchanged row, so the property tests would not notice them.)
 */

interface Row {
  readonly id: number
  readonly v: number
}
const rows = collection<Row>('rows', { key: 'id' })

const ins = (r: Row): Change<Row> => change(r.id, r, 1)
const del = (r: Row): Change<Row> => change(r.id, r, -1)

/** The window from scratch: by v descending, ties by id, `limit` rows after `offset`. */
function windowOf(all: ReadonlyMap<number, Row>, limit: number, offset: number): Row[] {
  return [...all.values()].sort((a, b) => b.v - a.v || a.id - b.id).slice(offset, offset + limit)
}

/** What a step should emit: the window's rows that left or changed object, and those that entered or changed. */
function expectedDiff(before: readonly Row[], after: readonly Row[]): Change<Row>[] {
  const left = before.filter((r) => !after.includes(r)).map(del)
  const entered = after.filter((r) => !before.includes(r)).map(ins)
  return sorted([...left, ...entered])
}

const sorted = (delta: Delta<unknown>): Change<Row>[] =>
  [...(delta as Delta<Row>)].sort((a, b) => a.weight - b.weight || (a.key as number) - (b.key as number))

describe.each([
  { limit: 3, offset: 1 },
  { limit: 40, offset: 3 },
])('top-K of $limit after $offset', ({ limit, offset }) => {
  test('each step emits what entered, left or changed in the window, and nothing else', () => {
    const op = new TopKOperator(new InputOperator(rows.source), { value: (r) => (r as Row).v, direction: 'desc' }, limit, offset, undefined)
    const all = new Map<number, Row>()
    const step = (delta: Change<Row>[]): Change<Row>[] => {
      const before = windowOf(all, limit, offset)
      for (const c of delta) {
        if (c.weight < 0) all.delete(c.row.id)
        else all.set(c.row.id, c.row)
      }
      const out = sorted(op.step([delta], NO_UNDO))
      expect(out).toEqual(expectedDiff(before, windowOf(all, limit, offset)))
      return out
    }
    expect(step(Array.from({ length: 100 }, (_, id) => ins({ id, v: id * 10 })))).toHaveLength(limit)
    // A row of the window replaced by a new object with the same sort value.
    const inside = windowOf(all, limit, offset)[1]!
    expect(step([del(inside), ins({ ...inside })])).toHaveLength(2)
    // A new first row: the row before the window moves into it and its last row leaves.
    expect(step([ins({ id: 1000, v: 5000 })])).toHaveLength(2)
    // A row past the window: nothing.
    expect(step([ins({ id: 2000, v: -5 })])).toEqual([])
    // Several changes in one step: a window row deleted, one moved, one inserted inside.
    const [a, b] = windowOf(all, limit, offset)
    step([del(a!), del(b!), ins({ ...b!, v: b!.v - 1 }), ins({ id: 3000, v: b!.v + 1 })])
  })
})

/*
 * Over a collection itself, the top-K places a head of the order and reads the rest from the collection's
 * table (`TableHead`): the table here is a real map that, like the store's, takes each step's delta only
 * after the step (and not at all when the step is rolled back). A small `loadMin` makes a few dozen rows
 * enough to leave rows in the table, drain the head and load it again.
 */
describe('top-K over a collection (the rest read from its table)', () => {
  interface Op {
    readonly kind: 'insert' | 'delete' | 'update' | 'deleteFirst'
    readonly id: number
    readonly v: number
  }
  const opArb: fc.Arbitrary<Op> = fc.record({
    // Mostly deletes of the first row: they drain the head, and in time shrink the collection until a load takes all that is left.
    kind: fc.constantFrom('insert', 'delete', 'update', 'deleteFirst', 'deleteFirst', 'deleteFirst'),
    id: fc.nat(120),
    v: fc.integer({ min: -50, max: 50 }),
  })
  const run = fc.record({
    // Up to FILL_AT rows go in one by one, all placed; from it, in one sort, only the head placed.
    initial: fc.oneof(fc.integer({ min: 0, max: 20 }), fc.integer({ min: FILL_AT, max: FILL_AT + 40 })),
    caughtUp: fc.boolean(),
    steps: fc.array(fc.record({ ops: fc.array(opArb, { minLength: 1, maxLength: 12 }), fails: fc.boolean() }), { minLength: 1, maxLength: 60 }),
  })

  /** One step's delta against `table`, as a transaction makes it: per key its −row, then its +row. */
  function deltaOf(ops: readonly Op[], table: ReadonlyMap<number, Row>): Change<Row>[] {
    const after = new Map(table)
    const touched = new Set<number>()
    for (const op of ops) {
      const id = op.kind === 'deleteFirst' ? windowOf(after, 1, 0)[0]?.id : op.id
      if (id === undefined || touched.has(id)) continue
      const old = after.get(id)
      if (op.kind === 'insert' && old === undefined) after.set(id, { id, v: op.v })
      else if (op.kind === 'update' && old !== undefined) after.set(id, { id, v: op.v })
      else if ((op.kind === 'delete' || op.kind === 'deleteFirst') && old !== undefined) after.delete(id)
      else continue
      touched.add(id)
    }
    const delta: Change<Row>[] = []
    for (const id of touched) {
      const old = table.get(id)
      const next = after.get(id)
      if (old !== undefined) delta.push(del(old))
      if (next !== undefined) delta.push(ins(next))
    }
    return delta
  }

  test('a load undone with its step leaves the rest in the table, to be loaded later', () => {
    const table = new Map<number, Row>()
    const op = new TopKOperator(new InputOperator(rows.source), { value: (r) => (r as Row).v, direction: 'desc' }, 4, 0, undefined, {
      rows: () => table,
      key: (r) => (r as Row).id,
    }, 4)
    const undo = new UndoLog()
    const all = Array.from({ length: 70 }, (_, v) => ({ id: v, v }))
    const commit = (delta: Change<Row>[]): Change<Row>[] => {
      const out = sorted(op.step([delta], undo))
      undo.commit()
      for (const c of delta) {
        if (c.weight < 0) table.delete(c.row.id)
        else table.set(c.row.id, c.row)
      }
      return out
    }
    commit(all.map(ins))
    // 16 rows placed (v 54–69); deleting 50 of the others leaves four in the table (v 50–53).
    commit(all.slice(0, 50).map(del))
    // Draining the head loads all that is left, which would make the set complete; the step fails.
    op.step([all.slice(57).map(del)], undo)
    undo.rollback()
    // A row that sorts last, and the whole head gone: the window is the four rows the table kept, not the new row.
    const window = commit([...all.slice(54).map(del), ins({ id: 100, v: -1 })])
    expect(window.filter((c) => c.weight > 0).map((c) => c.row.v)).toEqual([50, 51, 52, 53])
  })

  test.each([
    { limit: 3, offset: 1 },
    { limit: 1, offset: 0 },
    { limit: 6, offset: 2 },
  ])('limit $limit offset $offset: each step emits what the window gained and lost, rollbacks included', ({ limit, offset }) => {
    fc.assert(
      fc.property(run, ({ initial, caughtUp, steps }) => {
        const table = new Map<number, Row>()
        const op = new TopKOperator(new InputOperator(rows.source), { value: (r) => (r as Row).v, direction: 'desc' }, limit, offset, undefined, {
          rows: () => table,
          key: (r) => (r as Row).id,
        }, 4)
        const undo = new UndoLog()
        const first = Array.from({ length: initial }, (_, id) => ins({ id, v: (id * 37) % 101 - 50 }))
        // A view added to a store that holds rows is caught up with its table already holding them.
        if (caughtUp) for (const c of first) table.set(c.row.id, c.row)
        expect(sorted(op.step([first], undo))).toEqual(expectedDiff([], windowOf(new Map(first.map((c) => [c.row.id, c.row])), limit, offset)))
        undo.commit()
        // From FILL_AT rows on, only the head is placed (a load takes 4 × the bound here), the rest left in the table.
        expect(op.stateSize()).toBe(initial < FILL_AT ? initial : Math.max(4, 4 * (limit + offset)))
        if (!caughtUp) for (const c of first) table.set(c.row.id, c.row)
        for (const { ops, fails } of steps) {
          const delta = deltaOf(ops, table)
          const before = windowOf(table, limit, offset)
          const after = new Map(table)
          for (const c of delta) {
            if (c.weight < 0) after.delete(c.row.id)
            else after.set(c.row.id, c.row)
          }
          const out = sorted(op.step([delta], undo))
          if (fails) {
            // The step fails further down the circuit: everything it did is undone, and the table keeps its rows.
            undo.rollback()
            continue
          }
          undo.commit()
          expect(out).toEqual(expectedDiff(before, windowOf(after, limit, offset)))
          for (const c of delta) {
            if (c.weight < 0) table.delete(c.row.id)
            else table.set(c.row.id, c.row)
          }
        }
      }),
      { numRuns: 150 },
    )
  })
})
