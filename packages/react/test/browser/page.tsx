// The page the headless-Chromium test loads: a 1,000-row list rendered with @stepping/react, and a
// button that commits a transaction changing one row. Every row render is counted on `window`.
import { collection, createStore, view } from '@stepping/core'
import { memo, StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { StoreProvider, useQuery, useTransact, useView } from '../../src/index'

interface Item {
  readonly id: number
  readonly label: string
}

declare global {
  interface Window {
    rowRenders: number
  }
}
window.rowRenders = 0

const items = collection<Item>('items', { key: 'id' })
const byId = view('byId', items.orderBy((i) => i.id))
const store = createStore({ views: [byId] })
store.transact((tx) => tx.insert(items, Array.from({ length: 1000 }, (_, id) => ({ id, label: `item ${id}` }))))

const Row = memo(function Row({ item }: { readonly item: Item }) {
  window.rowRenders++
  return <li data-id={item.id}>{item.label}</li>
})

function List() {
  const rows = useView(byId)
  return <ul id="list">{rows.map((item) => <Row key={item.id} item={item} />)}</ul>
}

function Edited() {
  const edited = useQuery('edited', () => items.filter((i) => i.label.startsWith('edited')), [])
  return <p id="edited">{edited.length} edited</p>
}

function Edit() {
  const transact = useTransact()
  return (
    <button id="edit" onClick={() => transact((tx) => tx.update(items, 500, { label: 'edited 500' }))}>
      edit
    </button>
  )
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <StoreProvider store={store}>
      <Edit />
      <Edited />
      <List />
    </StoreProvider>
  </StrictMode>,
)
