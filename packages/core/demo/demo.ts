// The terminal demo behind `npm start`: two collections, three views, a few transactions, and the diff
// each view receives from each one. Every diff is computed incrementally from the transaction's changes.
import { collection, count, createStore, max, sum, view, type Change } from '@stepping/core'

interface Issue {
  id: number
  title: string
  status: 'open' | 'closed'
  ownerId: number
  priority: number
  createdAt: number
}
interface User {
  id: number
  name: string
}

const issues = collection<Issue>('issues', { key: 'id' })
const users = collection<User>('users', { key: 'id' })

const openWithOwner = view(
  'openWithOwner',
  issues
    .filter((i) => i.status === 'open')
    .join(users, 'ownerId', 'id')
    .map(([i, u]) => ({ id: i.id, title: i.title, owner: u.name })),
)
const perOwner = view(
  'perOwner',
  issues.groupBy((i) => i.ownerId, { issues: count(), priority: sum((i) => i.priority), newest: max((i) => i.createdAt) }),
)
const latest = view('latest', issues.orderBy((i) => i.createdAt, 'desc').limit(2))

const store = createStore({ views: [openWithOwner, perOwner, latest] })

const show = (name: string) => (diff: readonly Change<unknown>[], version: number) => {
  for (const { row, weight } of diff) console.log(`  v${version} ${name.padEnd(13)} ${weight > 0 ? '+' : '-'} ${JSON.stringify(row)}`)
}
store.subscribe(openWithOwner, show('openWithOwner'))
store.subscribe(perOwner, show('perOwner'))
store.subscribe(latest, show('latest'))

function step(title: string, fn: Parameters<typeof store.transact>[0]) {
  console.log(`\n${title}`)
  store.transact(fn)
}

step('1. insert two users and three issues', (tx) => {
  tx.insert(users, [
    { id: 1, name: 'ada' },
    { id: 2, name: 'grace' },
  ])
  tx.insert(issues, [
    { id: 10, title: 'crash on save', status: 'open', ownerId: 1, priority: 3, createdAt: 100 },
    { id: 11, title: 'typo in docs', status: 'open', ownerId: 2, priority: 1, createdAt: 110 },
    { id: 12, title: 'slow startup', status: 'open', ownerId: 1, priority: 2, createdAt: 120 },
  ])
})
step('2. close issue 10 (an immer draft)', (tx) => {
  tx.update(issues, 10, (draft) => {
    draft.status = 'closed'
  })
})
step('3. rename grace: only the joined row changes', (tx) => {
  tx.update(users, 2, { name: 'grace h.' })
})
step('4. a new issue enters the top 2, the oldest leaves it', (tx) => {
  tx.insert(issues, { id: 13, title: 'dark mode', status: 'open', ownerId: 2, priority: 0, createdAt: 130 })
})
step('5. delete issue 12: the top 2 refills from below', (tx) => {
  tx.delete(issues, 12)
})

console.log('\nfailed transactions change nothing:')
try {
  store.transact((tx) => {
    tx.delete(issues, 13)
    tx.insert(issues, { id: 11, title: 'duplicate', status: 'open', ownerId: 1, priority: 0, createdAt: 140 })
  })
} catch (error) {
  console.log(`  ${(error as Error).name}: ${(error as Error).message}`)
}
console.log(`\nversion ${store.version}; latest is now ${JSON.stringify(store.read(latest).map((i) => i.id))}`)
console.log(`circuit: ${store.describe().operators.map((o) => o.label).join(' · ')}`)
