import { describe, expect, test } from 'vitest'
import { ViewRegistry } from '../src/registry'
import { items, seeded } from './fixture'

const microtask = () => new Promise<void>((resolve) => queueMicrotask(resolve))
const odd = () => items.filter((i) => i.id % 2 === 1)
const even = () => items.filter((i) => i.id % 2 === 0)

describe('ViewRegistry', () => {
  test('a view released to zero is removed by the sweep, unless retained again before it runs', async () => {
    const store = seeded(4)
    const registry = new ViewRegistry(store)
    const first = registry.retain('odd', odd)
    expect(store.read(first.view)).toEqual([{ id: 1, label: 'item 1', group: 1 }, { id: 3, label: 'item 3', group: 3 }])
    first.release()
    const again = registry.retain('odd', odd)
    expect(again.view).toBe(first.view)
    await microtask()
    expect(store.hasView(first.view)).toBe(true)
    again.release()
    await microtask()
    expect(store.hasView(first.view)).toBe(false)
    expect(registry.keys).toEqual([])
  })

  test('a view a render created is spared by the sweep already scheduled, and taken by the next one', async () => {
    const store = seeded(4)
    const registry = new ViewRegistry(store)
    const odds = registry.retain('odd', odd)
    odds.release()
    // Created after the sweep was scheduled: its component's effects may not have run yet.
    const evens = registry.view('even', even)
    await microtask()
    expect(registry.keys).toEqual(['even'])
    expect(store.hasView(evens)).toBe(true)
    // Never subscribed (its render was thrown away): the next release sweeps it.
    registry.retain('odd', odd).release()
    await microtask()
    expect(registry.keys).toEqual([])
    expect(store.hasView(evens)).toBe(false)
  })

  test('readDetached reads a view nobody holds without keeping it, and a held one as it is', () => {
    const store = seeded(4)
    const registry = new ViewRegistry(store)
    const views = store.describe().views.length
    expect(registry.readDetached('even', even, undefined).map((i) => i.id)).toEqual([0, 2])
    expect(store.describe().views.length).toBe(views)
    const held = registry.retain('even', even)
    expect(registry.readDetached('even', even, undefined)).toBe(store.read(held.view))
    held.release()
  })
})
