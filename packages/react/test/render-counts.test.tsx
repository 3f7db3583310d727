// @vitest-environment jsdom
import { act, memo, Profiler } from 'react'
import { describe, expect, test } from 'vitest'
import { useRow, useView } from '../src/index'
import { byGroup, type Item, items, list, mount, noteList, notes, perGroup, renderCounter, seeded } from './fixture'

/*
 *   items ──► list ─────► <List> ──► 10,000 × <Row memo>
 *         ──► byGroup(3) ► <Group 3>
 *         ──► perGroup ──► <Count>
 *   notes ──► noteList ──► <Notes>
 *   items ──► list.get(7) ► <One id=7>
 */
describe('render counts', () => {
  const renders = renderCounter()

  const Row = memo(function Row({ item }: { readonly item: Item }) {
    renders.bump(`row ${item.id}`)
    return <li>{item.label}</li>
  })
  function List() {
    renders.bump('list')
    const rows = useView(list)
    return <ul>{rows.map((item) => <Row key={item.id} item={item} />)}</ul>
  }
  function Group({ group }: { readonly group: number }) {
    renders.bump(`group ${group}`)
    return <p>{useView(byGroup, group).length}</p>
  }
  function Count() {
    renders.bump('count')
    return <p>{useView(perGroup).length}</p>
  }
  function Notes() {
    renders.bump('notes')
    return <p>{useView(noteList).map((n) => n.text).join()}</p>
  }
  function One({ id }: { readonly id: number }) {
    renders.bump(`one ${id}`)
    return <p>{useRow(list, id)?.label}</p>
  }
  function App() {
    return (
      <>
        <List />
        <Group group={3} />
        <Count />
        <Notes />
        <One id={7} />
      </>
    )
  }

  test('one transaction updating one row of 10,000 re-renders that row and the list, nothing else', () => {
    const store = seeded(10_000)
    const commits: string[] = []
    const app = mount(
      store,
      <Profiler id="app" onRender={(_id, phase) => commits.push(phase)}>
        <App />
      </Profiler>,
    )
    expect(app.container.querySelectorAll('li')).toHaveLength(10_000)
    expect(renders.take()['list']).toBe(1)
    commits.length = 0

    act(() => store.transact((tx) => tx.update(items, 4242, { label: 'changed' })))
    expect(renders.take()).toEqual({ list: 1, 'row 4242': 1 })
    expect(commits).toEqual(['update'])
    expect(app.container.querySelectorAll('li')[4242]?.textContent).toBe('changed')
    app.unmount()
  })

  test('a transaction touching another view re-renders only that view’s reader', () => {
    const store = seeded(10_000)
    const app = mount(store, <App />)
    renders.take()
    act(() => store.transact((tx) => tx.insert(notes, { id: 3, text: 'third' })))
    expect(renders.take()).toEqual({ notes: 1 })
    app.unmount()
  })

  test('a change in one partition re-renders the readers of that partition only; useRow only for its row', () => {
    const store = seeded(100)
    const app = mount(store, <App />)
    renders.take()
    // Item 14 is in group 4: <Group 3>, <Count> (group sizes unchanged) and <One id=7> must not render.
    act(() => store.transact((tx) => tx.update(items, 14, { label: 'fourteen' })))
    expect(renders.take()).toEqual({ list: 1, 'row 14': 1 })
    // A new item in group 3 changes that partition and group 3's count.
    act(() => store.transact((tx) => tx.insert(items, { id: 103, label: 'new', group: 3 })))
    expect(renders.take()).toEqual({ list: 1, 'row 103': 1, 'group 3': 1, count: 1 })
    act(() => store.transact((tx) => tx.update(items, 7, { label: 'seven' })))
    expect(renders.take()).toEqual({ list: 1, 'row 7': 1, 'one 7': 1 })
    // A new group changes perGroup's rows; an update that rewrites a row with equal content changes nothing.
    act(() => store.transact((tx) => tx.insert(items, { id: 200, label: 'lone', group: 99 })))
    expect(renders.take()).toEqual({ list: 1, 'row 200': 1, count: 1 })
    act(() => store.transact((tx) => tx.update(items, 200, { label: 'lone' })))
    expect(renders.take()).toEqual({})
    app.unmount()
  })
})
