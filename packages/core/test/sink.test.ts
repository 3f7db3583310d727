import { describe, expect, test } from 'vitest'
import { createStore, KeyCollisionError, view, type Change } from '../src/index'
import { items, type Item } from './scenario'

// A view's sink fills an empty partition (a build, a new partition) without comparing rows before and
// after, and records a step's diff only for views with listeners. These pin what that must not change.

const item = (id: number, fields: Partial<Omit<Item, 'id'>> = {}): Item => ({ id, g: 0, v: id, tag: 'a', ...fields })
const range = (n: number): Item[] => Array.from({ length: n }, (_, i) => item(i))

/** A view keyed by tag: two items with one tag collide. */
const byTag = () => items.map((i) => ({ tag: i.tag, v: i.v }), { key: (r) => r.tag })

describe('filling an empty view', () => {
  // Below and above the size from which an ordered view sorts a delta in one go.
  test.each([
    ['unordered', 5, view('byTag', byTag())],
    ['ordered, few rows', 5, view('byTagOrdered', byTag().orderBy((r) => r.v))],
    ['ordered, many rows', 100, view('byTagOrdered', byTag().orderBy((r) => r.v))],
  ])('%s: a key collision in the first transaction fails it, and the store stays empty', (_, n, v) => {
    const store = createStore({ views: [v] })
    const rows = range(n).map((r, i) => ({ ...r, tag: `t${i}` }))
    rows.push(item(n, { tag: 't0' }))
    expect(() => store.transact((tx) => tx.insert(items, rows))).toThrow(KeyCollisionError)
    expect(store.read(v)).toEqual([])
    expect(store.read(items)).toEqual([])
    store.transact((tx) => tx.insert(items, rows.slice(0, -1)))
    expect(store.read(v)).toHaveLength(n)
  })

  test('a key collision in a new partition of a partitioned view fails the transaction', () => {
    const v = view('perGroup', items.map((i) => ({ g: i.g, tag: i.tag }), { key: (r) => r.tag }).partitionBy((r) => r.g))
    const store = createStore({ views: [v] })
    store.transact((tx) => tx.insert(items, item(0, { g: 0, tag: 'a' })))
    expect(() => store.transact((tx) => tx.insert(items, [item(1, { g: 1, tag: 'b' }), item(2, { g: 1, tag: 'b' })]))).toThrow(KeyCollisionError)
    expect(store.read(v, 1)).toEqual([])
    expect(store.read(v, 0)).toEqual([{ g: 0, tag: 'a' }])
  })

  test('a row inserted and deleted in the first transaction leaves nothing and no diff', () => {
    const v = view('all', items.map((i) => i))
    const store = createStore({ views: [v] })
    const heard: Change<Item>[][] = []
    store.subscribe(v, (diff) => heard.push([...diff]))
    store.transact((tx) => {
      tx.insert(items, [item(1), item(2)])
      tx.delete(items, 1)
    })
    expect(store.read(v)).toEqual([item(2)])
    expect(heard).toEqual([[{ key: 2, row: item(2), weight: 1 }]])
  })
})

describe('diffs are recorded for listened views only', () => {
  test('a listener added after steps nobody heard hears exactly the later diffs', () => {
    const quiet = view('quiet', items.filter((i) => i.v !== null && i.v > 1))
    const loud = view('loud', items.map((i) => i))
    const store = createStore({ views: [quiet, loud] })
    const loudHeard: Change<Item>[][] = []
    store.subscribe(loud, (diff) => loudHeard.push([...diff]))
    store.transact((tx) => tx.insert(items, range(4)))
    store.transact((tx) => tx.update(items, 3, { v: 30 }))
    expect(loudHeard).toHaveLength(2)
    expect(loudHeard[0]!.map((c) => c.key)).toEqual([0, 1, 2, 3])

    const quietHeard: Change<Item>[][] = []
    store.subscribe(quiet, (diff) => quietHeard.push([...diff]))
    store.transact((tx) => {
      tx.update(items, 2, { v: 20 })
      tx.delete(items, 3)
    })
    expect(quietHeard).toEqual([
      [
        { key: 2, row: item(2), weight: -1 },
        { key: 2, row: item(2, { v: 20 }), weight: 1 },
        { key: 3, row: item(3, { v: 30 }), weight: -1 },
      ],
    ])
    expect(store.read(quiet)).toEqual([item(2, { v: 20 })])
  })
})
