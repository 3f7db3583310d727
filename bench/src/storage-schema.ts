// The store the storage benchmarks (SQLite: storage.ts; IndexedDB: storage-idb.ts) fill, reopen and time:
// issues and users, and five views — three whose state is a function of the collections (rebuilt on
// open) and two behind a join (saved by a checkpoint).
import { collection, count, max, sum, view } from '@stepping/core'

export interface Issue {
  readonly id: number
  readonly title: string
  readonly open: boolean
  readonly ownerId: number
  readonly priority: number
  readonly createdAt: number
}
export interface User {
  readonly id: number
  readonly name: string
}

export const USERS = 1000
export const issues = collection<Issue>('issues', { key: 'id' })
export const users = collection<User>('users', { key: 'id' })
export const withOwner = view(
  'withOwner',
  issues.join(users, (i) => i.ownerId, (u) => u.id).map(([i, u]) => ({ id: i.id, title: i.title, owner: u.name })),
)
export const latest = view('latest', issues.orderBy((i) => i.createdAt, 'desc').limit(50))
export const views = [
  view('urgent', issues.filter((i) => i.open && i.priority >= 3)),
  withOwner,
  view('perOwner', issues.groupBy((i) => i.ownerId, { n: count(), prio: sum((i) => i.priority), newest: max((i) => i.createdAt) })),
  latest,
  view(
    'openPerName',
    issues
      .join(users, (i) => i.ownerId, (u) => u.id)
      .filter(([i]) => i.open)
      .groupBy(([, u]) => u.name, { n: count(), prio: sum(([i]) => i.priority) }),
  ),
]

/** Issue `id`: a third closed, priorities 0–4, owners spread over the users, creation times scattered. */
export const issue = (id: number): Issue => ({
  id,
  title: `issue ${id}`,
  open: id % 3 !== 0,
  ownerId: id % USERS,
  priority: id % 5,
  createdAt: 1_700_000_000_000 + ((id * 7919) % 1_000_003),
})
