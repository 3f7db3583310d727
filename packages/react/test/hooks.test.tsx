// @vitest-environment jsdom
import { UsageError, view } from '@stepping/core'
import { act, Component, useEffect, type ReactNode } from 'react'
import { createRoot } from 'react-dom/client'
import { describe, expect, test, vi } from 'vitest'
import { useQuery, useRow, useStore, useTransact, useView } from '../src/index'
import { byGroup, items, mount, notes, seeded } from './fixture'

class Boundary extends Component<{ readonly children: ReactNode }, { readonly error: unknown }> {
  override state: { readonly error: unknown } = { error: undefined }
  static getDerivedStateFromError(error: unknown) {
    return { error }
  }
  override render() {
    const { error } = this.state
    return error === undefined ? this.props.children : <p>{error instanceof Error ? `${error.name}: ${error.message}` : 'error'}</p>
  }
}

/** Renders `node` expecting it to throw; returns what the error boundary shows. */
function renderError(node: ReactNode, store = seeded(3)): string {
  const error = vi.spyOn(console, 'error').mockImplementation(() => undefined)
  const app = mount(store, <Boundary>{node}</Boundary>)
  const text = app.container.textContent
  app.unmount()
  error.mockRestore()
  return text
}

describe('useStore', () => {
  test('outside a StoreProvider it throws a UsageError that says what to do', () => {
    function Orphan() {
      useStore()
      return null
    }
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    const root = createRoot(document.createElement('div'))
    let caught: unknown
    act(() =>
      root.render(
        <ErrorCatcher onError={(e) => (caught = e)}>
          <Orphan />
        </ErrorCatcher>,
      ),
    )
    expect(caught).toBeInstanceOf(UsageError)
    expect(String(caught)).toMatch(/wrap the tree in <StoreProvider store=\{store\}>/)
    act(() => root.unmount())
    error.mockRestore()
  })
})

class ErrorCatcher extends Component<{ readonly children: ReactNode; readonly onError: (error: unknown) => void }, { readonly failed: boolean }> {
  override state = { failed: false }
  static getDerivedStateFromError() {
    return { failed: true }
  }
  override componentDidCatch(error: unknown) {
    this.props.onError(error)
  }
  override render() {
    return this.state.failed ? null : this.props.children
  }
}

describe('useTransact', () => {
  test('is the same function on every render and commits to the provided store', () => {
    const store = seeded(3)
    const seen = new Set<unknown>()
    function Adder() {
      const transact = useTransact()
      const count = useView(notes).length
      seen.add(transact)
      useEffect(() => {
        if (count < 4) transact((tx) => tx.insert(notes, { id: count + 1, text: `note ${count + 1}` }))
      }, [count, transact])
      return <p>{count}</p>
    }
    const app = mount(store, <Adder />)
    expect(app.container.textContent).toBe('4')
    expect(seen.size).toBe(1)
    app.unmount()
  })
})

describe('useView', () => {
  test('switching partition reads the new one and keeps a single subscription', () => {
    const store = seeded(6, 2)
    function Group({ group }: { readonly group: number }) {
      return <p>{useView(byGroup, group).map((i) => i.id).join(' ')}</p>
    }
    const app = mount(store, <Group group={0} />)
    expect(app.container.textContent).toBe('0 2 4')
    app.render(<Group group={1} />)
    expect(app.container.textContent).toBe('1 3 5')
    expect(store.describe().subscribers).toBe(1)
    act(() => store.transact((tx) => tx.update(items, 3, { group: 0 })))
    expect(app.container.textContent).toBe('1 5')
    app.unmount()
  })

  test('reads an input collection as well as a view', () => {
    const store = seeded(3)
    function Notes() {
      return <p>{useView(notes).map((n) => n.text).join(',')}</p>
    }
    const app = mount(store, <Notes />)
    expect(app.container.textContent).toBe('first,second')
    act(() => store.transact((tx) => tx.delete(notes, 1)))
    expect(app.container.textContent).toBe('second')
    app.unmount()
  })

  test('a view the store does not maintain is an error naming it', () => {
    const stray = view('stray', items.filter((i) => i.id > 0))
    function Stray() {
      return <p>{useView(stray).length}</p>
    }
    expect(renderError(<Stray />)).toMatch(/UsageError: view 'stray' is not in this store/)
  })
})

describe('useRow', () => {
  test('is undefined until the row exists, then follows it', () => {
    const store = seeded(3)
    function Label() {
      return <p>{useRow(items, 10)?.label ?? 'none'}</p>
    }
    const app = mount(store, <Label />)
    expect(app.container.textContent).toBe('none')
    act(() => store.transact((tx) => tx.insert(items, { id: 10, label: 'ten', group: 0 })))
    expect(app.container.textContent).toBe('ten')
    act(() => store.transact((tx) => tx.delete(items, 10)))
    expect(app.container.textContent).toBe('none')
    app.unmount()
  })
})

describe('useQuery', () => {
  test('a view that fails on the current rows is an OperatorError for the error boundary, and is not kept', async () => {
    const store = seeded(3)
    function Failing() {
      const rows = useQuery(
        'failing',
        () =>
          items.map((i) => {
            if (i.id === 2) throw new Error('bad row')
            return i
          }),
        [],
      )
      return <p>{rows.length}</p>
    }
    expect(renderError(<Failing />, store)).toMatch(/^OperatorError/)
    await act(async () => undefined)
    expect(store.describe().views.map((v) => v.name)).not.toContain('failing[]')
  })
})
