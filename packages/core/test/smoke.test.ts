import { describe, expect, test } from 'vitest'
import { collection, count, createStore, max, sum, view } from '../src/index'

interface Issue { id: number; title: string; status: 'open' | 'closed'; ownerId: number; projectId: number; priority: number; createdAt: number }
interface User { id: number; name: string }

describe('smoke', () => {
  test('the README example', () => {
    const issues = collection<Issue>('issues', { key: (i) => i.id })
    const users = collection<User>('users', { key: 'id' })
    const openWithOwner = view('openWithOwner',
      issues.filter((i) => i.status === 'open')
        .join(users, (i) => i.ownerId, (u) => u.id)
        .map(([i, u]) => ({ id: i.id, title: i.title, owner: u.name })))
    const perProject = view('perProject',
      issues.groupBy((i) => i.projectId, { n: count(), prio: sum((i) => i.priority), newest: max((i) => i.createdAt) }))
    const latest = view('latest', issues.orderBy((i) => i.createdAt, 'desc').limit(2))
    const store = createStore({ views: [openWithOwner, perProject, latest] })
    const diffs: unknown[] = []
    store.subscribe(perProject, (d) => diffs.push(d))
    store.transact((tx) => {
      tx.insert(users, [{ id: 1, name: 'ada' }, { id: 2, name: 'bob' }])
      tx.insert(issues, [
        { id: 1, title: 'a', status: 'open', ownerId: 1, projectId: 1, priority: 2, createdAt: 10 },
        { id: 2, title: 'b', status: 'open', ownerId: 2, projectId: 1, priority: 1, createdAt: 20 },
        { id: 3, title: 'c', status: 'closed', ownerId: 2, projectId: 2, priority: 3, createdAt: 30 },
      ])
    })
    expect(store.read(openWithOwner)).toEqual([{ id: 1, title: 'a', owner: 'ada' }, { id: 2, title: 'b', owner: 'bob' }])
    expect(store.read(latest).map((i) => i.id)).toEqual([3, 2])
    const p1 = store.get(perProject, 1)
    expect(p1).toEqual({ key: 1, n: 2, prio: 3, newest: 20 })
    store.transact((tx) => {
      tx.update(issues, 1, (d) => { d.status = 'closed' })
      tx.update(users, 2, { name: 'bobby' })
      tx.delete(issues, 3)
    })
    expect(store.read(openWithOwner)).toEqual([{ id: 2, title: 'b', owner: 'bobby' }])
    expect(store.read(latest).map((i) => i.id)).toEqual([2, 1])
    expect(store.get(perProject, 2)).toBeUndefined()
    expect(store.get(perProject, 1)).toBe(p1)
    expect(diffs.length).toBe(2)
    expect(store.version).toBe(2)
    console.log(JSON.stringify(store.describe().operators))
  })
})
