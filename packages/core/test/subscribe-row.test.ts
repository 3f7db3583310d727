import { describe, expect, test } from 'vitest'
import { collection, createStore, view, type Change } from '../src/index'

interface Card {
  readonly id: number
  readonly column: string
  readonly title: string
}
const cards = collection<Card>('cards', { key: 'id' })
const byColumn = view('byColumn', cards.orderBy((c) => c.title).partitionBy((c) => c.column))

describe('store.subscribeRow', () => {
  test('hears only its own row, across partitions, and a commit calls only the listeners of changed rows', () => {
    const store = createStore({ views: [byColumn] })
    const rows: Card[] = Array.from({ length: 10_000 }, (_, id) => ({ id, column: id % 2 ? 'todo' : 'done', title: `t${id}` }))
    store.transact((tx) => tx.insert(cards, rows))
    const calls = new Map<number, (readonly Change<Card>[])[]>()
    const stops = rows.map((r) => store.subscribeRow(byColumn, r.id, (diff) => calls.set(r.id, [...(calls.get(r.id) ?? []), diff])))
    expect(store.describe().subscribers).toBe(10_000)

    store.transact((tx) => tx.update(cards, 7, { column: 'done' }))
    expect([...calls.keys()]).toEqual([7])
    expect(calls.get(7)).toEqual([
      [
        { key: 7, row: { id: 7, column: 'todo', title: 't7' }, weight: -1 },
        { key: 7, row: { id: 7, column: 'done', title: 't7' }, weight: 1 },
      ],
    ])
    expect(store.read(byColumn, 'done').some((c) => c.id === 7)).toBe(true)

    calls.clear()
    store.transact((tx) => {
      tx.update(cards, 1, { title: 'x' })
      tx.delete(cards, 2)
    })
    expect([...calls.keys()].sort()).toEqual([1, 2])

    for (const stop of stops) stop()
    expect(store.describe().subscribers).toBe(0)
    calls.clear()
    store.transact((tx) => tx.update(cards, 1, { title: 'y' }))
    expect(calls.size).toBe(0)
  })

  test('works on collections too', () => {
    const store = createStore({ views: [byColumn] })
    const heard: (readonly Change<Card>[])[] = []
    store.subscribeRow(cards, 5, (diff) => heard.push(diff))
    store.transact((tx) => tx.insert(cards, [{ id: 4, column: 'a', title: 'a' }, { id: 5, column: 'a', title: 'b' }]))
    expect(heard).toEqual([[{ key: 5, row: { id: 5, column: 'a', title: 'b' }, weight: 1 }]])
  })
})
