import { renderToString } from 'react-dom/server'
import { describe, expect, test } from 'vitest'
import { StoreProvider, useQuery, useRow, useSuspenseView, useView } from '../src/index'
import { byGroup, items, list, seeded } from './fixture'

function Page({ group, search }: { readonly group: number; readonly search: string }) {
  const all = useView(list)
  const inGroup = useSuspenseView(byGroup, group)
  const found = useQuery('search', () => items.filter((i) => i.label.endsWith(search)), [search])
  const grouped = useQuery('inGroup', () => items.orderBy((i) => i.id, 'desc').partitionBy((i) => i.group), [], group)
  return (
    <main>
      <p>{all.length} items; first {useRow(list, 0)?.label}</p>
      <p>group {group}: {inGroup.map((i) => i.id).join(' ')}</p>
      <p>ending in {search}: {found.map((i) => i.id).join(' ')}</p>
      <p>descending: {grouped.map((i) => i.id).join(' ')}</p>
    </main>
  )
}

describe('server rendering', () => {
  test('renderToString renders the current rows, and leaves no view behind', () => {
    const store = seeded(12, 4)
    const views = store.describe().views.length
    const html = renderToString(
      <StoreProvider store={store}>
        <Page group={1} search="1" />
      </StoreProvider>,
    )
    expect(html.replaceAll('<!-- -->', '')).toBe(
      '<main><p>12 items; first item 0</p><p>group 1: 1 5 9</p><p>ending in 1: 1 11</p><p>descending: 9 5 1</p></main>',
    )
    expect(store.describe().views.length).toBe(views)
    expect(store.describe().subscribers).toBe(0)
  })
})
