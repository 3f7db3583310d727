import { collection, count, createStore, max, sum, view, type Store } from '@stepping/core'
import { describe, expect, test } from 'vitest'
import { sqliteStorage } from '../src/index'
import { tempDir } from './tmp'

interface Issue {
  readonly id: number
  readonly title: string
  readonly open: boolean
  readonly ownerId: number
  readonly priority: number
  readonly createdAt: Date
}
interface User {
  readonly id: number
  readonly name: string
}

const N = 100_000
const issues = collection<Issue>('issues', { key: 'id' })
const users = collection<User>('users', { key: 'id' })
const urgent = view('urgent', issues.filter((i) => i.open && i.priority >= 3))
const withOwner = view(
  'withOwner',
  issues.join(users, (i) => i.ownerId, (u) => u.id).map(([i, u]) => ({ id: i.id, title: i.title, owner: u.name })),
)
const perOwner = view('perOwner', issues.groupBy((i) => i.ownerId, { n: count(), prio: sum((i) => i.priority), newest: max((i) => i.createdAt) }))
const latest = view('latest', issues.orderBy((i) => i.createdAt, 'desc').limit(50))
const views = [urgent, withOwner, perOwner, latest]

const issue = (id: number): Issue => ({
  id,
  title: `issue ${id}`,
  open: id % 3 !== 0,
  ownerId: (id * 7) % 1000,
  priority: id % 5,
  createdAt: new Date(1_700_000_000_000 + ((id * 7919) % N) * 1000),
})

const readAll = (store: Store) => ({
  urgent: store.read(urgent),
  withOwner: store.read(withOwner),
  perOwner: store.read(perOwner),
  latest: store.read(latest),
})

/** Unordered views list rows in no promised order: compare them sorted. */
const byKey = <R>(rows: readonly R[], key: (row: R) => number): R[] => [...rows].sort((a, b) => key(a) - key(b))

describe('restart', () => {
  test(`${N.toLocaleString('en-US')} rows: a reopened store reads every view as before closing`, { timeout: 240_000 }, () => {
    const tmp = tempDir('stepping-restart-')
    try {
      const path = tmp.file('store.db')
      let t0 = performance.now()
      const store = createStore({ views, storage: sqliteStorage(path) })
      store.transact((tx) => tx.insert(users, Array.from({ length: 1000 }, (_, id) => ({ id, name: `user ${id}` }))))
      for (let from = 0; from < N; from += 10_000)
        store.transact((tx) => tx.insert(issues, Array.from({ length: 10_000 }, (_, i) => issue(from + i))))
      const buildMs = performance.now() - t0
      // Some updates and deletes, so the file holds more than a first load.
      store.transact((tx) => {
        for (let id = 0; id < N; id += 97) tx.update(issues, id, (d) => ({ ...d, open: !d.open, priority: (d.priority + 1) % 5 }))
        for (let id = 5; id < N; id += 101) tx.delete(issues, id)
        tx.update(users, 7, (u) => ({ ...u, name: 'renamed' }))
      })
      const before = readAll(store)
      const version = store.version
      store.close()

      t0 = performance.now()
      const reopened = createStore({ views, storage: sqliteStorage(path) })
      const reopenMs = performance.now() - t0
      try {
        expect(reopened.version).toBe(version)
        const after = readAll(reopened)
        expect(after.latest).toEqual(before.latest)
        expect(byKey(after.urgent, (i) => i.id)).toEqual(byKey(before.urgent, (i) => i.id))
        expect(byKey(after.withOwner, (i) => i.id)).toEqual(byKey(before.withOwner, (i) => i.id))
        expect(byKey(after.perOwner, (g) => g.key)).toEqual(byKey(before.perOwner, (g) => g.key))
        expect(before.withOwner.length).toBeGreaterThan(90_000)
        console.log(
          `restart: ${N.toLocaleString('en-US')} issues + 1,000 users; build (10 commits of 10k rows, durable) ${buildMs.toFixed(0)} ms, ` +
            `reopen (load + rebuild 4 views) ${reopenMs.toFixed(0)} ms`,
        )
      } finally {
        reopened.close()
      }
    } finally {
      tmp.remove()
    }
  })
})
