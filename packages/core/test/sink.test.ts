import { describe, expect, test } from 'vitest'
import { createStore, KeyCollisionError, memoryStorage, view, type Change } from '../src/index'
import { items, others, teams, type Item } from './scenario'

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

describe('read order of unordered views', () => {
  // An unordered view reads its keys in the order they were first written: an update, changing the row
  // or leaving it equal (a field the view does not read changed), keeps the key in its place.
  const tags = view('tags', items.map((i) => ({ id: i.id, tag: i.tag }), { key: (r) => r.id }))
  const perTag = view('perTag', items.map((i) => ({ id: i.id, tag: i.tag }), { key: (r) => r.id }).partitionBy((r) => r.tag))
  // A team's −old/+new re-joins each of its items: a change to a field the view does not read is a −/+
  // pair of equal rows per item.
  const teamNames = view('teamNames', items.join(teams, 'g', 'id').map(([i, t]) => ({ id: i.id, team: t.name }), { key: (r) => r.id }))
  const ids = (rows: readonly { readonly id: number }[]) => rows.map((r) => r.id)

  test('an updated row keeps its place, changed or left equal; a row new to a partition goes to its end', async () => {
    const storage = memoryStorage()
    const options = { views: [tags, perTag, teamNames], storage, checkpointEvery: 0 }
    const store = createStore(options)
    const heard: Change<unknown>[][] = []
    store.subscribe(tags, (diff) => heard.push([...diff]))
    store.transact((tx) => {
      tx.insert(teams, [{ id: 0, name: 'core', size: 2 }, { id: 1, name: 'ui', size: 1 }])
      tx.insert(items, [item(1, { g: 0 }), item(2, { g: 1 }), item(3, { g: 0 }), item(4, { g: 1, tag: 'b' })])
    })
    const read = (s: typeof store) => ({ tags: ids(s.read(tags)), a: ids(s.read(perTag, 'a')), team: ids(s.read(teamNames)) })
    expect(read(store)).toEqual({ tags: [1, 2, 3, 4], a: [1, 2, 3], team: [1, 2, 3, 4] })
    await store.checkpoint()

    const before = store.read(tags)
    store.transact((tx) => {
      tx.update(items, 1, { v: 10 })
      tx.update(teams, 0, { size: 3 })
    })
    expect(read(store)).toEqual({ tags: [1, 2, 3, 4], a: [1, 2, 3], team: [1, 2, 3, 4] })
    expect(store.read(tags)).toBe(before)
    expect(heard).toHaveLength(1)

    store.transact((tx) => {
      tx.update(items, 1, { tag: 'c' })
      tx.update(items, 2, { v: 20 })
    })
    // Item 1 changes in place in tags, leaves partition 'a' and is the first row of partition 'c'.
    expect(read(store)).toEqual({ tags: [1, 2, 3, 4], a: [2, 3], team: [1, 2, 3, 4] })
    expect(ids(store.read(perTag, 'c'))).toEqual([1])
    store.transact((tx) => tx.insert(items, item(5, { tag: 'c', g: 1 })))
    store.transact((tx) => tx.update(items, 4, { tag: 'c' }))
    expect(ids(store.read(perTag, 'c'))).toEqual([1, 5, 4])
    // Items 1 and 3 get a new team name: changed rows, in their places.
    store.transact((tx) => tx.update(teams, 0, { name: 'base' }))
    expect(read(store).team).toEqual([1, 2, 3, 4, 5])
    expect(store.read(teamNames).map((r) => r.team)).toEqual(['base', 'ui', 'base', 'ui', 'ui'])

    // A row that leaves items for others, equal, stays where it is in their union. The union's delta has
    // the −rows of items before the +rows of others, so a key's −row and +row are not next to each other.
    const both = view('both', items.union(others))
    const second = createStore({ views: [both] })
    second.transact((tx) => tx.insert(items, [1, 2, 3, 4].map((id) => item(id))))
    second.transact((tx) => {
      tx.delete(items, 1)
      tx.delete(items, 3)
      tx.insert(others, [item(1), item(3)])
    })
    expect(ids(second.read(both))).toEqual([1, 2, 3, 4])

    // A store reopened without closing restores the joined view from the checkpoint and replays every
    // commit after it (steps that cannot be rolled back, so they settle at once): the same order. A map
    // of one collection is rebuilt from the collection instead, in the order storage gives its rows,
    // which keeps an updated row in its place too.
    const reopened = createStore(options)
    expect(read(reopened)).toEqual(read(store))
    expect(ids(reopened.read(items))).toEqual([1, 2, 3, 4, 5])
    expect(ids(reopened.read(perTag, 'c'))).toEqual([1, 5, 4])
  })
})
