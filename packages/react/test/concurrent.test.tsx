// @vitest-environment jsdom
import { act, startTransition, useState } from 'react'
import { createRoot } from 'react-dom/client'
import { describe, expect, test, vi } from 'vitest'
import { StoreProvider, useView } from '../src/index'
import { items, list, mount, seeded } from './fixture'

/*
 * A transition renders  <Reader a/>  <Writer/>  <Reader b/>  and the writer commits a transaction in the
 * middle of it, as a store update arriving while React yields would. Reader a has read version 1, reader
 * b reads version 2: committing that render would tear. useSyncExternalStore must notice and render the
 * tree again, so that both readers commit the same version.
 */
describe('concurrent rendering', () => {
  test('two components reading one view during a transition commit the same version (no tearing)', () => {
    const store = seeded(3)
    const seen: string[] = []
    let write = false
    function Reader({ name }: { readonly name: string }) {
      const label = useView(list)[0]?.label
      seen.push(`${name}:${label}`)
      return <span>{label}</span>
    }
    function Writer() {
      if (write) {
        write = false
        store.transact((tx) => tx.update(items, 0, { label: 'v2' }))
      }
      return null
    }
    let show = (_: boolean) => {}
    function App() {
      const [shown, set] = useState(false)
      show = set
      return shown ? (
        <>
          <Reader name="a" />
          <Writer />
          <Reader name="b" />
        </>
      ) : null
    }
    const app = mount(store, <App />)

    // The transition mounts both readers; the writer strikes between them.
    write = true
    act(() => startTransition(() => show(true)))
    // The interrupted pass saw both versions; React rendered again before committing.
    expect(seen.slice(0, 2)).toEqual(['a:item 0', 'b:v2'])
    expect(seen.slice(-2)).toEqual(['a:v2', 'b:v2'])
    expect(app.container.textContent).toBe('v2v2')
    app.unmount()
  })

  test('a transaction landing while React yields in a time-sliced render does not tear', async () => {
    const actEnvironment = globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }
    actEnvironment.IS_REACT_ACT_ENVIRONMENT = false
    const store = seeded(3)
    const seen: string[] = []
    let strike = true
    function SlowReader({ name }: { readonly name: string }) {
      const label = useView(list)[0]?.label
      seen.push(`${name}:${label}`)
      if (strike) {
        strike = false
        // Runs when React yields to the event loop after this component, before it renders the next.
        queueMicrotask(() => store.transact((tx) => tx.update(items, 0, { label: 'v2' })))
      }
      // Longer than React's 5 ms time slice, so it yields after every reader.
      for (const start = performance.now(); performance.now() - start < 8; );
      return <span>{label}</span>
    }
    const container = document.createElement('div')
    const root = createRoot(container)
    startTransition(() =>
      root.render(
        <StoreProvider store={store}>
          <SlowReader name="a" />
          <SlowReader name="b" />
          <SlowReader name="c" />
        </StoreProvider>,
      ),
    )
    await vi.waitFor(() => expect(container.textContent).not.toBe(''))
    expect(seen.slice(0, 2)).toEqual(['a:item 0', 'b:v2'])
    expect(container.textContent).toBe('v2v2v2')
    root.unmount()
    actEnvironment.IS_REACT_ACT_ENVIRONMENT = true
  })
})
