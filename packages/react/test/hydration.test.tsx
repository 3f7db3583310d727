// @vitest-environment jsdom
import { act } from 'react'
import { hydrateRoot } from 'react-dom/client'
import { renderToString } from 'react-dom/server'
import { describe, expect, test, vi } from 'vitest'
import { StoreProvider, useQuery, useView } from '../src/index'
import { items, list, seeded } from './fixture'

function Page() {
  const count = useView(list).length
  const found = useQuery('search', () => items.filter((i) => i.label.endsWith('1')), [])
  return (
    <p>
      {count} items, {found.length} ending in 1
    </p>
  )
}

describe('hydration', () => {
  test('hydrating server HTML matches, warns of nothing, then follows transactions', async () => {
    const store = seeded(12)
    const app = (
      <StoreProvider store={store}>
        <Page />
      </StoreProvider>
    )
    const container = document.createElement('div')
    container.innerHTML = renderToString(app)
    expect(container.textContent).toBe('12 items, 2 ending in 1')

    const error = vi.spyOn(console, 'error')
    const recoverable = vi.fn()
    const root = await act(async () => hydrateRoot(container, app, { onRecoverableError: recoverable }))
    expect(recoverable).not.toHaveBeenCalled()
    expect(error).not.toHaveBeenCalled()
    act(() => store.transact((tx) => tx.insert(items, { id: 21, label: 'item 21', group: 0 })))
    expect(container.textContent).toBe('13 items, 3 ending in 1')
    expect(store.describe().views.map((v) => v.name)).toContain('search[]')
    act(() => root.unmount())
    await act(async () => undefined)
    expect(store.describe().views.map((v) => v.name)).not.toContain('search[]')
    error.mockRestore()
  })
})
