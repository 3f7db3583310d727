import BTree from 'sorted-btree'
import { describe, expect, test } from 'vitest'
import { UndoLog } from '../src/undo'

// The undo log on its own: what each kind of record puts back, in which order, and that a log kept across
// steps (and grown, and let go) replays exactly the records of the step being rolled back.

interface Counter {
  n: number
  label: string
}

/** Makes `count` changes of every kind to `state`, recording each before it is made. */
function change(undo: UndoLog, state: { counter: Counter; map: Map<number, string>; tree: BTree<number, number>; calls: number[] }, count: number, from = 0): void {
  for (let i = from; i < from + count; i++) {
    undo.field(state.counter, 'n', state.counter.n)
    state.counter.n += 1
    const before = state.map.get(i % 7)
    undo.entry(state.map, i % 7, before)
    if (i % 3 === 0) state.map.delete(i % 7)
    else state.map.set(i % 7, `v${i}`)
    undo.entry(state.tree, i % 5, state.tree.get(i % 5))
    state.tree.set(i % 5, i)
    undo.record(() => state.calls.push(i))
  }
}

function fresh() {
  return {
    counter: { n: 0, label: 'c' },
    map: new Map([[1, 'one'], [2, 'two']]),
    tree: new BTree<number, number>([[0, -1]]),
    calls: [] as number[],
  }
}

// Map entries compared by key: a restored entry goes back to the end of the map's insertion order.
const view = (s: ReturnType<typeof fresh>) => ({ counter: { ...s.counter }, map: [...s.map].sort((a, b) => a[0] - b[0]), tree: s.tree.toArray() })

describe('UndoLog', () => {
  test('a rollback puts fields, map entries and tree entries back and runs closures, newest first', () => {
    const s = fresh()
    const before = view(s)
    const undo = new UndoLog()
    change(undo, s, 12)
    expect(view(s)).not.toEqual(before)
    undo.rollback()
    expect(view(s)).toEqual(before)
    expect(s.calls).toEqual([11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0])
  })

  test('a log grown to 100,000 records rolls all of them back', () => {
    const s = fresh()
    const before = view(s)
    const undo = new UndoLog()
    change(undo, s, 25_000)
    undo.rollback()
    expect(view(s)).toEqual(before)
    expect(s.calls.length).toBe(25_000)
    expect(s.calls[0]).toBe(24_999)
  })

  test('after a clear, a rollback undoes only what was recorded since, whatever size the log grew to before', () => {
    for (const [big, small] of [[20_000, 10], [20_000, 15_000], [10, 5]] as const) {
      const s = fresh()
      const undo = new UndoLog()
      change(undo, s, big)
      undo.clear()
      const committed = view(s)
      s.calls.length = 0
      change(undo, s, small, big)
      undo.clear()
      const second = view(s)
      change(undo, s, 3, big + small)
      undo.rollback()
      expect(view(s)).toEqual(second)
      expect(s.calls).toEqual([big + small + 2, big + small + 1, big + small])
      expect(committed.counter.n).toBe(big)
    }
  })

  test('an inactive log records nothing', () => {
    const s = fresh()
    const undo = new UndoLog()
    undo.active = false
    change(undo, s, 5)
    const after = view(s)
    undo.rollback()
    expect(view(s)).toEqual(after)
    expect(s.calls).toEqual([])
  })
})
