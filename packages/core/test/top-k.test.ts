import { describe, expect, test } from 'vitest'
import { collection } from '../src/index'
import { InputOperator } from '../src/operators/input'
import { TopKOperator } from '../src/operators/top-k'
import { NO_UNDO } from '../src/undo'
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
