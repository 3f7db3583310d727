import { describe, expect, test } from 'vitest'
import { collection, createStore, memoryStorage, sum, UsageError, view, type Change, type Storage } from '../src/index'

interface Line {
  readonly id: number
  readonly order: string
  readonly amount: number
}
const lines = collection<Line>('lines', { key: 'id' })
const totals = view('totals', lines.groupBy((l) => l.order, { total: sum((l) => l.amount) }))

/** memoryStorage whose load answers on a later tick, as IndexedDB does. */
function later(inner: Storage, fail?: Error): Storage {
  return {
    load: () => new Promise((resolve, reject) => setTimeout(() => (fail ? reject(fail) : resolve(inner.load())), 5)),
    append: (commit) => inner.append(commit),
  }
}

describe('asynchronous storage', () => {
  test('the store reads empty and refuses transactions until loaded; early subscribers hear the loaded rows', async () => {
    const storage = memoryStorage()
    const first = createStore({ views: [totals], storage })
    first.transact((tx) => tx.insert(lines, [{ id: 1, order: 'a', amount: 2 }, { id: 2, order: 'a', amount: 3 }]))

    const store = createStore({ views: [totals], storage: later(storage) })
    expect(store.isReady).toBe(false)
    expect(store.read(totals)).toEqual([])
    expect(() => store.transact((tx) => tx.insert(lines, { id: 3, order: 'b', amount: 1 }))).toThrow(UsageError)
    const heard: { diff: readonly Change<unknown>[]; version: number }[] = []
    store.subscribe(totals, (diff, version) => heard.push({ diff, version }))
    await store.ready
    expect(store.isReady).toBe(true)
    expect(store.read(totals)).toEqual([{ key: 'a', total: 5 }])
    expect(store.version).toBe(1)
    expect(heard).toEqual([{ diff: [{ key: 'a', row: { key: 'a', total: 5 }, weight: 1 }], version: 1 }])
    store.transact((tx) => tx.insert(lines, { id: 3, order: 'b', amount: 1 }))
    expect(store.version).toBe(2)
  })

  test('a load that fails rejects ready, and transactions say why', async () => {
    const store = createStore({ views: [totals], storage: later(memoryStorage(), new Error('disk on fire')) })
    await expect(store.ready).rejects.toThrow('disk on fire')
    expect(store.isReady).toBe(false)
    expect(() => store.transact(() => undefined)).toThrow(/failed to load/)
  })

  test('a synchronous storage is ready at once', async () => {
    const store = createStore({ views: [totals], storage: memoryStorage() })
    expect(store.isReady).toBe(true)
    await expect(store.ready).resolves.toBeUndefined()
  })
})
