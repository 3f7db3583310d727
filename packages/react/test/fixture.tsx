import { collection, count, createStore, view, type Store } from '@stepping/core'
import { act, StrictMode, type ReactNode } from 'react'
import { createRoot, type Root } from 'react-dom/client'
import { StoreProvider } from '../src/index'

// Tell React this is a test environment where updates are wrapped in act().
;(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true

export interface Item {
  readonly id: number
  readonly label: string
  readonly group: number
}
export interface Note {
  readonly id: number
  readonly text: string
}

export const items = collection<Item>('items', { key: 'id' })
export const notes = collection<Note>('notes', { key: 'id' })
/** Every item, by id. */
export const list = view('list', items.orderBy((i) => i.id))
/** Items read one group at a time. */
export const byGroup = view('byGroup', items.orderBy((i) => i.id).partitionBy((i) => i.group))
/** Item count per group. */
export const perGroup = view('perGroup', items.groupBy((i) => i.group, { n: count() }))
/** A view over another collection: changes to items never reach it. */
export const noteList = view('noteList', notes)

/** A store with `n` items in `groups` groups and two notes. */
export function seeded(n: number, groups = 10): Store {
  const store = createStore({ views: [list, byGroup, perGroup, noteList] })
  store.transact((tx) => {
    tx.insert(items, Array.from({ length: n }, (_, id) => ({ id, label: `item ${id}`, group: id % groups })))
    tx.insert(notes, [{ id: 1, text: 'first' }, { id: 2, text: 'second' }])
  })
  return store
}

/** What `mount` returns. */
export interface Mounted {
  readonly container: HTMLElement
  readonly root: Root
  /** Renders `node` in place of what is there (same provider, same root). */
  render(node: ReactNode): void
  unmount(): void
}

/**
 * Renders `node` under a provider for `store` into a fresh container, inside act. With `strict`,
 * `<StrictMode>` wraps the whole tree: React double-invokes the effects of a new StrictMode subtree only
 * when nothing outside it is new as well, as in an app that renders `<StrictMode>` at its root.
 */
export function mount(store: Store, node: ReactNode, options: { readonly strict?: boolean } = {}): Mounted {
  const container = document.createElement('div')
  document.body.append(container)
  const root = createRoot(container)
  const wrap = (n: ReactNode) => <StoreProvider store={store}>{n}</StoreProvider>
  const render = (n: ReactNode) => act(() => root.render(options.strict ? <StrictMode>{wrap(n)}</StrictMode> : wrap(n)))
  render(node)
  return {
    container,
    root,
    render,
    unmount() {
      act(() => root.unmount())
      container.remove()
    },
  }
}

/** Counts renders per name: `renders.bump('row 3')` in a component body, `renders.take()` to read and reset. */
export function renderCounter(): { bump(name: string): void; take(): Record<string, number> } {
  let counts: Record<string, number> = {}
  return {
    bump(name) {
      counts[name] = (counts[name] ?? 0) + 1
    },
    take() {
      const taken = counts
      counts = {}
      return taken
    },
  }
}
