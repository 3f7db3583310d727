// @vitest-environment jsdom
import { createStore, memoryStorage, type Storage } from '@stepping/core'
import { act, Component, Suspense, type ReactNode } from 'react'
import { describe, expect, test, vi } from 'vitest'
import { useSuspenseView, useView } from '../src/index'
import { items, list, mount, noteList, perGroup } from './fixture'

/** A memoryStorage holding three items whose load answers on a later tick, as IndexedDB does. */
function loadingLater(fail?: Error): Storage {
  const inner = memoryStorage()
  createStore({ views: [list], storage: inner }).transact((tx) =>
    tx.insert(items, [0, 1, 2].map((id) => ({ id, label: `item ${id}`, group: id % 2 }))),
  )
  return {
    load: () => new Promise((resolve, reject) => setTimeout(() => (fail ? reject(fail) : resolve(inner.load())), 5)),
    append: (commit) => inner.append(commit),
  }
}

function Labels() {
  return <p>{useSuspenseView(list).map((i) => i.label).join(',')}</p>
}

class Boundary extends Component<{ readonly children: ReactNode }, { readonly error: string | undefined }> {
  override state: { readonly error: string | undefined } = { error: undefined }
  static getDerivedStateFromError(error: Error) {
    return { error: error.message }
  }
  override render() {
    return this.state.error === undefined ? this.props.children : <p>error: {this.state.error}</p>
  }
}

describe('Suspense', () => {
  test('useSuspenseView shows the fallback while the store loads, then the loaded rows', async () => {
    const store = createStore({ views: [list, perGroup, noteList], storage: loadingLater() })
    const app = mount(
      store,
      <Suspense fallback={<p>loading</p>}>
        <Labels />
      </Suspense>,
    )
    expect(app.container.textContent).toBe('loading')
    await act(() => store.ready)
    expect(app.container.textContent).toBe('item 0,item 1,item 2')
    act(() => store.transact((tx) => tx.delete(items, 1)))
    expect(app.container.textContent).toBe('item 0,item 2')
    app.unmount()
  })

  test('a load that fails goes to the error boundary', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    const store = createStore({ views: [list], storage: loadingLater(new Error('disk on fire')) })
    const app = mount(
      store,
      <Boundary>
        <Suspense fallback={<p>loading</p>}>
          <Labels />
        </Suspense>
      </Boundary>,
    )
    expect(app.container.textContent).toBe('loading')
    await act(() => store.ready.catch(() => undefined))
    await act(async () => undefined)
    expect(app.container.textContent).toBe('error: disk on fire')
    app.unmount()
    error.mockRestore()
  })

  test('useView does not suspend: it renders no rows while loading, then the loaded ones', async () => {
    const store = createStore({ views: [list], storage: loadingLater() })
    function Count() {
      return <p>{useView(list).length}</p>
    }
    const app = mount(store, <Count />)
    expect(app.container.textContent).toBe('0')
    await act(() => store.ready)
    expect(app.container.textContent).toBe('3')
    app.unmount()
  })
})
