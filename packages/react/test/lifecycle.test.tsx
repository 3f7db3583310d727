// @vitest-environment jsdom
import type { Store } from '@stepping/core'
import { act, Component, type ReactNode } from 'react'
import { describe, expect, test, vi } from 'vitest'
import { useQuery, useRow, useView } from '../src/index'
import { items, list, mount, noteList, seeded } from './fixture'

/** Lets the registry's sweep (a microtask) run. */
const settle = () => act(async () => undefined)

const viewNames = (store: Store) => store.describe().views.map((v) => v.name)
const baseViews = ['list', 'byGroup', 'perGroup', 'noteList']

function Search({ text }: { readonly text: string }) {
  const found = useQuery('search', () => items.filter((i) => i.label.includes(text)).orderBy((i) => i.id), [text])
  return <p>{found.map((i) => i.id).join(',')}</p>
}
function Rows() {
  return <p>{useView(list).length}</p>
}
function One() {
  return <p>{useRow(list, 3)?.label}</p>
}
function Notes() {
  return <p>{useView(noteList).length}</p>
}

/** Spies on the store's view management, to tell a view kept from one removed and added again. */
function watch(store: Store) {
  return { added: vi.spyOn(store, 'addView'), removed: vi.spyOn(store, 'removeView') }
}

describe('StrictMode and view lifetimes', () => {
  test('a double mount under StrictMode makes one subscription per hook, and unmounting leaves none', async () => {
    const store = seeded(30)
    const before = store.describe()
    expect(before.subscribers).toBe(0)
    const { added, removed } = watch(store)
    const app = mount(
      store,
      <>
        <Rows />
        <One />
        <Notes />
        <Search text="item 2" />
        <Search text="item 2" />
      </>,
      { strict: true },
    )
    await settle()
    expect(app.container.textContent).toContain('2,20,21,22,23,24,25,26,27,28,29')
    // Three module-level view hooks and two hooks sharing one component-defined view.
    expect(store.describe().subscribers).toBe(5)
    expect(viewNames(store)).toEqual([...baseViews, 'search["item 2"]'])
    expect(store.describe().views.find((v) => v.name === 'search["item 2"]')?.subscribers).toBe(2)
    expect(added).toHaveBeenCalledTimes(1)
    expect(removed).not.toHaveBeenCalled()

    app.unmount()
    await settle()
    expect(store.describe().subscribers).toBe(0)
    expect(viewNames(store)).toEqual(baseViews)
    expect(store.describe().operators.length).toBe(before.operators.length)
    expect(removed).toHaveBeenCalledTimes(1)
  })

  test('new deps make a new view and release the old one; components with equal deps share one', async () => {
    const store = seeded(30)
    const { added, removed } = watch(store)
    const app = mount(store, <Search text="item 1" />)
    expect(app.container.textContent).toBe('1,10,11,12,13,14,15,16,17,18,19')
    app.render(
      <>
        <Search text="item 2" />
        <Search text="item 2" />
      </>,
    )
    await settle()
    expect(viewNames(store)).toEqual([...baseViews, 'search["item 2"]'])
    expect(added).toHaveBeenCalledTimes(2)
    expect(removed).toHaveBeenCalledTimes(1)

    // The view is maintained incrementally while mounted.
    act(() => store.transact((tx) => tx.insert(items, { id: 99, label: 'item 299', group: 0 })))
    expect(app.container.textContent).toContain('29,99')
    app.unmount()
    await settle()
    expect(viewNames(store)).toEqual(baseViews)
  })

  test('a view created by a render React threw away is gone once the next view is released', async () => {
    const store = seeded(30)
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    function Broken(): ReactNode {
      useQuery('broken', () => items.filter((i) => i.group === 1), [1])
      throw new Error('render failed')
    }
    class Boundary extends Component<{ readonly children: ReactNode }, { readonly failed: boolean }> {
      override state = { failed: false }
      static getDerivedStateFromError() {
        return { failed: true }
      }
      override render() {
        return this.state.failed ? <p>failed</p> : this.props.children
      }
    }
    const app = mount(
      store,
      <>
        <Search text="item 1" />
        <Boundary>
          <Broken />
        </Boundary>
      </>,
    )
    await settle()
    expect(app.container.textContent).toContain('failed')
    // Added to read its rows, never subscribed: nothing counts it, and the next sweep takes it.
    expect(viewNames(store)).toContain('broken[1]')
    app.unmount()
    await settle()
    expect(viewNames(store)).toEqual(baseViews)
    expect(store.describe().subscribers).toBe(0)
    error.mockRestore()
  })

  test('remounting a component-defined view in the same commit keeps it (no remove and re-add)', async () => {
    const store = seeded(30)
    const { added, removed } = watch(store)
    const app = mount(store, <Search key="a" text="item 2" />)
    // A new key unmounts one instance and mounts another in one commit: the count goes 1 → 0 → 1.
    app.render(<Search key="b" text="item 2" />)
    await settle()
    expect(added).toHaveBeenCalledTimes(1)
    expect(removed).not.toHaveBeenCalled()
    app.unmount()
    await settle()
    expect(removed).toHaveBeenCalledTimes(1)
  })
})
