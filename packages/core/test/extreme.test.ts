import { describe, expect, test } from 'vitest'
import { collection, createStore, max, min, view } from '../src/index'
import { UndoLog } from '../src/undo'

/*
 * min/max keep a group's values in two arrays until a value first leaves the group, and sort them into a
 * tree then (see ExtremeState). The property tests check results after committed steps; these check what
 * they cannot reach: a failed step that changed the arrays, or sorted them, must leave the state as it
 * was, and weights above one must count.
 */

interface Row {
  readonly id: number
  readonly g: string
  readonly v: number
  readonly fail?: boolean
  /** A field no aggregate reads. */
  readonly note?: string
}
const rows = collection<Row>('rows', { key: 'id' })
const extremes = view('extremes', rows.groupBy((r) => r.g, { lo: min((r) => r.v), hi: max((r) => r.v) }))
// Throws on a marked row. It comes after `extremes`, so the groupBy has taken the step when it throws.
const checked = view(
  'checked',
  rows.filter((r) => {
    if (r.fail === true) throw new Error('marked row')
    return true
  }),
)

function storeWith(...initial: Row[]) {
  const store = createStore({ views: [extremes, checked] })
  store.transact((tx) => tx.insert(rows, initial))
  return store
}

/**
 * After a failed step over group 'a' of rows 1 (v 1) and 2 (v 3): the extremes are 1 and 3 again, and
 * stay right as rows come and go. An insert only compares with the extremes kept beside the values; a
 * delete reads the values themselves.
 */
function expectAsBefore(store: ReturnType<typeof storeWith>): void {
  expect(store.read(extremes)).toEqual([{ key: 'a', lo: 1, hi: 3 }])
  store.transact((tx) => tx.insert(rows, { id: 6, g: 'a', v: 2 }))
  expect(store.read(extremes)).toEqual([{ key: 'a', lo: 1, hi: 3 }])
  store.transact((tx) => tx.delete(rows, 2))
  expect(store.read(extremes)).toEqual([{ key: 'a', lo: 1, hi: 2 }])
}

describe('min and max in a failed step', () => {
  test('values appended in a failed step are taken back', () => {
    const store = storeWith({ id: 1, g: 'a', v: 1 }, { id: 2, g: 'a', v: 3 })
    expect(() =>
      store.transact((tx) => tx.insert(rows, [{ id: 3, g: 'a', v: 9 }, { id: 4, g: 'a', v: -5 }, { id: 5, g: 'a', v: 0, fail: true }])),
    ).toThrow('marked row')
    expectAsBefore(store)
  })

  test('a failed step that sorted the values into a tree leaves the values as they were', () => {
    const store = storeWith({ id: 1, g: 'a', v: 1 }, { id: 2, g: 'a', v: 3 })
    // The insert appends 9; the delete is the group's first removal, which sorts {1, 3, 9} into a tree.
    expect(() =>
      store.transact((tx) => {
        tx.insert(rows, { id: 3, g: 'a', v: 9 })
        tx.delete(rows, 2)
        tx.insert(rows, { id: 5, g: 'a', v: 0, fail: true })
      }),
    ).toThrow('marked row')
    expectAsBefore(store)
    store.transact((tx) => tx.delete(rows, 1))
    expect(store.read(extremes)).toEqual([{ key: 'a', lo: 2, hi: 2 }])
  })
})

describe('min and max with weights above one', () => {
  test('a value added with weight 2 stays until both are removed, before and after the tree is made', () => {
    const undo = new UndoLog()
    for (const aggregate of [max((r: { v: number }) => r.v), min((r: { v: number }) => r.v)]) {
      const state = aggregate.init()
      state.add({ v: 7 }, 2, undo)
      state.add({ v: 4 }, 1, undo)
      state.add({ v: 10 }, 1, undo)
      state.add({ v: 10 }, -1, undo)
      state.add({ v: 4 }, -1, undo)
      expect(state.result()).toBe(7)
      state.add({ v: 7 }, -1, undo)
      expect(state.result()).toBe(7)
      state.add({ v: 7 }, -1, undo)
      expect(state.result()).toBeNull()
      undo.commit()
    }
  })
})

/*
 * An update of a row that stays in its group reaches the group-by as a pair (−old, +new under one key),
 * which it hands to each aggregate at once: min/max skip it when the value they read is the same. These
 * check that the values they keep are still the group's, whichever way the update went.
 */
describe('min and max under updates that keep the row in its group', () => {
  const initial: Row[] = [
    { id: 1, g: 'a', v: 1, note: 'x' },
    { id: 2, g: 'a', v: 5, note: 'x' },
    { id: 3, g: 'a', v: 3, note: 'x' },
    { id: 4, g: 'b', v: 7, note: 'x' },
  ]

  /** A store over `initial`; with `tree`, group a's first removal has sorted its values into the tree. */
  function storeOf(tree: boolean) {
    const store = storeWith(...initial)
    if (tree) {
      store.transact((tx) => tx.insert(rows, { id: 9, g: 'a', v: 2, note: 'x' }))
      store.transact((tx) => tx.delete(rows, 9))
    }
    return store
  }

  for (const tree of [false, true]) {
    const where = tree ? 'in the tree' : 'in the arrays kept before the first removal'
    test(`a field the aggregates do not read changes, ${where}: the values stay the group's`, () => {
      const store = storeOf(tree)
      store.transact((tx) => tx.update(rows, 2, { note: 'y' }))
      expect(store.read(extremes)).toEqual([
        { key: 'a', lo: 1, hi: 5 },
        { key: 'b', lo: 7, hi: 7 },
      ])
      // Had the update added its value twice or dropped it, these deletes would leave 5 behind or lose it early.
      store.transact((tx) => tx.delete(rows, 1))
      expect(store.read(extremes)[0]).toEqual({ key: 'a', lo: 3, hi: 5 })
      store.transact((tx) => tx.delete(rows, 2))
      expect(store.read(extremes)[0]).toEqual({ key: 'a', lo: 3, hi: 3 })
    })

    test(`the value read changes, ${where}: the old one leaves, the new one enters`, () => {
      const store = storeOf(tree)
      store.transact((tx) => tx.update(rows, 2, { v: 0 }))
      expect(store.read(extremes)[0]).toEqual({ key: 'a', lo: 0, hi: 3 })
      store.transact((tx) => tx.update(rows, 1, { v: 9, note: 'y' }))
      expect(store.read(extremes)[0]).toEqual({ key: 'a', lo: 0, hi: 9 })
      store.transact((tx) => {
        tx.delete(rows, 1)
        tx.delete(rows, 2)
      })
      expect(store.read(extremes)[0]).toEqual({ key: 'a', lo: 3, hi: 3 })
    })

    test(`a failed step's updates are taken back, ${where}`, () => {
      const store = storeOf(tree)
      expect(() =>
        store.transact((tx) => {
          tx.update(rows, 2, { v: -4 })
          tx.update(rows, 3, { note: 'y' })
          tx.update(rows, 4, { g: 'a' })
          tx.insert(rows, { id: 8, g: 'b', v: 0, note: 'x', fail: true })
        }),
      ).toThrow('marked row')
      expect(store.read(extremes)).toEqual([
        { key: 'a', lo: 1, hi: 5 },
        { key: 'b', lo: 7, hi: 7 },
      ])
      store.transact((tx) => {
        tx.delete(rows, 1)
        tx.delete(rows, 2)
      })
      expect(store.read(extremes)[0]).toEqual({ key: 'a', lo: 3, hi: 3 })
    })
  }

  test('an update that moves the row to another group leaves one and enters the other', () => {
    const store = storeOf(false)
    store.transact((tx) => tx.update(rows, 2, { g: 'b' }))
    expect(store.read(extremes)).toEqual([
      { key: 'a', lo: 1, hi: 3 },
      { key: 'b', lo: 5, hi: 7 },
    ])
  })
})
