import { describe, expect, test } from 'vitest'
import {
  collection,
  count,
  createStore,
  DuplicateKeyError,
  sum,
  view,
  type Change,
  type CommitRecord,
  type Key,
  type Storage,
  type Store,
  type StoredState,
} from '../src/index'

/** One storage under test, fresh for every test. */
export interface StorageFixture {
  readonly storage: Storage
  /** Closes the storage opened last and opens a new one on the same data, as a restarted process would. */
  reopen(): Storage
  /** Closes what is open and removes the data (temporary files). */
  cleanup(): void
}

const insert = <T>(key: Key, row: T): Change<T> => ({ key, row, weight: 1 })
const remove = <T>(key: Key, row: T): Change<T> => ({ key, row, weight: -1 })
const commit = (version: number, changes: Record<string, readonly Change<unknown>[]>): CommitRecord => ({
  version,
  changes: new Map(Object.entries(changes)),
})

/** Rows of every collection of a loaded state, in key order, so backends that order rows differently agree. */
function sorted(state: StoredState | undefined): { version: number; collections: Record<string, unknown[]> } | undefined {
  if (state === undefined) return undefined
  const collections: Record<string, unknown[]> = {}
  for (const [name, rows] of state.collections) collections[name] = [...rows].sort(byJson)
  return { version: state.version, collections }
}
const byJson = (a: unknown, b: unknown): number => {
  const x = JSON.stringify(a)
  const y = JSON.stringify(b)
  return x < y ? -1 : x > y ? 1 : 0
}

interface Issue {
  readonly id: number
  readonly title: string
  readonly open: boolean
  readonly owner: string
  readonly createdAt: number
}
interface User {
  readonly name: string
  readonly team: string
}
const issues = collection<Issue>('issues', { key: 'id' })
const users = collection<User>('users', { key: 'name' })
const openIssues = view('openIssues', issues.filter((i) => i.open))
const withTeam = view(
  'withTeam',
  issues.join(users, (i) => i.owner, (u) => u.name).map(([i, u]) => ({ id: i.id, title: i.title, team: u.team })),
)
const perOwner = view('perOwner', issues.groupBy((i) => i.owner, { n: count(), age: sum((i) => i.createdAt) }))
const newest = view('newest', issues.orderBy((i) => i.createdAt, 'desc').limit(3))
const views = [openIssues, withTeam, perOwner, newest]

/** What every view reads; unordered views sorted, the ordered one as it is. */
function readViews(store: Store): Record<string, unknown[]> {
  return {
    openIssues: [...store.read(openIssues)].sort(byJson),
    withTeam: [...store.read(withTeam)].sort(byJson),
    perOwner: [...store.read(perOwner)].sort(byJson),
    newest: [...store.read(newest)],
    issues: [...store.read(issues)].sort(byJson),
    users: [...store.read(users)].sort(byJson),
  }
}

async function open(storage: Storage): Promise<Store> {
  const store = createStore({ views, storage })
  await store.ready
  return store
}

const issue = (id: number, owner: string, open = true): Issue => ({ id, title: `issue ${id}`, open, owner, createdAt: id * 10 })

/** Fails the `failAt`-th append (1-based), and passes the others to `inner`. */
function failing(inner: Storage, failAt: number): Storage {
  let calls = 0
  return {
    load: () => inner.load(),
    append(record) {
      if (++calls === failAt) throw new Error('storage refused the commit')
      return inner.append(record)
    },
  }
}

/**
 * The contract of core's `Storage` (see packages/core/src/storage.ts), as vitest tests. Every storage
 * implementation runs it: memory in core, SQLite in @stepping/sync-server.
 */
export function storageContract(name: string, makeStorage: () => StorageFixture): void {
  describe(`Storage contract: ${name}`, () => {
    const withFixture = (fn: (fixture: StorageFixture) => Promise<void>) => async () => {
      const fixture = makeStorage()
      try {
        await fn(fixture)
      } finally {
        fixture.cleanup()
      }
    }

    test(
      'a new storage loads nothing',
      withFixture(async ({ storage }) => {
        expect(await storage.load()).toBeUndefined()
      }),
    )

    test(
      'appended rows and the version are there after reopening',
      withFixture(async ({ storage, reopen }) => {
        await storage.append(commit(1, { users: [insert('ada', { name: 'ada', team: 'core' }), insert('bob', { name: 'bob', team: 'ui' })] }))
        await storage.append(commit(2, { users: [insert('cy', { name: 'cy', team: 'ui' })] }))
        expect(sorted(await reopen().load())).toEqual({
          version: 2,
          collections: {
            users: [
              { name: 'ada', team: 'core' },
              { name: 'bob', team: 'ui' },
              { name: 'cy', team: 'ui' },
            ],
          },
        })
      }),
    )

    test(
      'updates (−old +new) and deletes round-trip',
      withFixture(async ({ storage, reopen }) => {
        await storage.append(commit(1, { issues: [insert(1, issue(1, 'ada')), insert(2, issue(2, 'ada')), insert(3, issue(3, 'bob'))] }))
        await storage.append(commit(2, { issues: [remove(1, issue(1, 'ada')), insert(1, issue(1, 'bob', false)), remove(2, issue(2, 'ada'))] }))
        const reopened = reopen()
        expect(sorted(await reopened.load())).toEqual({ version: 2, collections: { issues: [issue(1, 'bob', false), issue(3, 'bob')] } })
        await reopened.append(commit(3, { issues: [remove(3, issue(3, 'bob')), insert(2, issue(2, 'cy'))] }))
        expect(sorted(await reopen().load())).toEqual({ version: 3, collections: { issues: [issue(1, 'bob', false), issue(2, 'cy')] } })
      }),
    )

    test(
      'several collections, written in one commit or apart',
      withFixture(async ({ storage, reopen }) => {
        await storage.append(commit(1, { issues: [insert(1, issue(1, 'ada'))], users: [insert('ada', { name: 'ada', team: 'core' })] }))
        await storage.append(commit(2, { tags: [insert('t', { tag: 't' })] }))
        await storage.append(commit(3, { users: [remove('ada', { name: 'ada', team: 'core' })] }))
        expect(sorted(await reopen().load())).toEqual({
          version: 3,
          collections: { issues: [issue(1, 'ada')], users: [], tags: [{ tag: 't' }] },
        })
      }),
    )

    test(
      "keys of every kind stay apart: strings, numbers, '1' and 1, booleans, null, tuples",
      withFixture(async ({ storage, reopen }) => {
        const keys: Key[] = ['a', '', '1', 1, 0, -2.5, 1e21, true, false, null, [1, 'a'], ['1', 1], [[1], null], '\u0000[1,"a"]', 'null', 'true']
        await storage.append(commit(1, { things: keys.map((k, i) => insert(k, { k, i })) }))
        await storage.append(commit(2, { things: [remove(1, { k: 1, i: 3 }), remove([1, 'a'], { k: [1, 'a'], i: 10 }), remove(null, { k: null, i: 9 })] }))
        const loaded = await reopen().load()
        const kept = keys.map((k, i) => ({ k, i })).filter((r) => r.i !== 3 && r.i !== 10 && r.i !== 9)
        expect(sorted(loaded)).toEqual({ version: 2, collections: { things: kept.sort(byJson) } })
      }),
    )

    test(
      'rows with dates, maps, sets, bigints and nested objects come back equal',
      withFixture(async ({ storage, reopen }) => {
        const row = {
          id: 'r',
          at: new Date('2024-02-29T12:34:56.789Z'),
          big: 2n ** 70n,
          tags: new Set(['a', 'b']),
          counts: new Map([['x', 1]]),
          nested: { list: [1, { deep: [new Date(0)] }], none: null, missing: undefined },
          text: 'ü "quoted" \u0000 nul',
        }
        await storage.append(commit(1, { rows: [insert('r', row), insert('plain', { id: 'plain', n: 1.5 })] }))
        const loaded = await reopen().load()
        const rows = loaded?.collections.get('rows') ?? []
        const back = rows.find((r) => (r as { id: string }).id === 'r')
        expect(back).toEqual(row)
        expect((back as typeof row).at).toBeInstanceOf(Date)
        expect(rows.find((r) => (r as { id: string }).id === 'plain')).toEqual({ id: 'plain', n: 1.5 })
      }),
    )

    test(
      'a reopened store keeps the rows of a collection no view reads, and refuses to insert over them',
      withFixture(async ({ storage, reopen }) => {
        const notes = collection<{ id: number; text: string }>('notes', { key: 'id' })
        const store = await open(storage)
        store.transact((tx) => tx.insert(notes, [{ id: 1, text: 'kept' }]))
        await store.flush()
        const reopened = await open(reopen())
        expect(reopened.read(notes)).toEqual([{ id: 1, text: 'kept' }])
        expect(() => reopened.transact((tx) => tx.insert(notes, { id: 1, text: 'clobbered' }))).toThrow(DuplicateKeyError)
        const texts = view('texts', notes.map((n) => n.text))
        reopened.addView(texts)
        expect(reopened.read(texts)).toEqual(['kept'])
      }),
    )

    test(
      'a store reopened on the storage reads every view exactly as before',
      withFixture(async ({ storage, reopen }) => {
        const store = await open(storage)
        store.transact((tx) => {
          tx.insert(users, [{ name: 'ada', team: 'core' }, { name: 'bob', team: 'ui' }])
          tx.insert(issues, [issue(1, 'ada'), issue(2, 'bob'), issue(3, 'ada'), issue(4, 'bob', false), issue(5, 'cy')])
        })
        store.transact((tx) => tx.update(issues, 1, (d) => ({ ...d, open: false, owner: 'bob' })))
        store.transact((tx) => {
          tx.delete(issues, 5)
          tx.update(users, 'bob', (d) => ({ ...d, team: 'infra' }))
          tx.insert(issues, issue(6, 'ada'))
        })
        const before = readViews(store)
        await store.flush()
        const reopened = await open(reopen())
        expect(reopened.version).toBe(3)
        expect(readViews(reopened)).toEqual(before)
        reopened.transact((tx) => tx.insert(issues, issue(7, 'bob')))
        expect(reopened.version).toBe(4)
        expect(reopened.read(newest).map((i) => i.id)).toEqual([7, 6, 4])
      }),
    )

    test(
      'a commit the storage refuses leaves the store and the storage as they were',
      withFixture(async ({ storage, reopen }) => {
        const store = await open(failing(storage, 2))
        store.transact((tx) => {
          tx.insert(users, { name: 'ada', team: 'core' })
          tx.insert(issues, [issue(1, 'ada'), issue(2, 'ada')])
        })
        const before = readViews(store)
        expect(() =>
          store.transact((tx) => {
            tx.delete(issues, 1)
            tx.insert(issues, issue(9, 'ada'))
          }),
        ).toThrow('storage refused the commit')
        expect(store.version).toBe(1)
        expect(readViews(store)).toEqual(before)
        store.transact((tx) => tx.insert(issues, issue(3, 'ada')))
        expect(store.version).toBe(2)
        const after = readViews(store)
        await store.flush()
        const reopened = await open(reopen())
        expect(reopened.version).toBe(2)
        expect(readViews(reopened)).toEqual(after)
        expect(reopened.read(issues).map((i) => i.id).sort()).toEqual([1, 2, 3])
      }),
    )

    test(
      'schema versions recorded with a commit come back',
      withFixture(async ({ storage, reopen }) => {
        await storage.append({ ...commit(1, { users: [insert('ada', { name: 'ada', team: 'core' })] }), schemas: new Map([['users', 3]]) })
        await storage.append(commit(2, { users: [insert('bob', { name: 'bob', team: 'ui' })] }))
        expect((await reopen().load())?.schemas?.get('users')).toBe(3)
      }),
    )

    test(
      'a checkpoint comes back with the commits made after it; a newer one replaces it and trims them',
      withFixture(async ({ storage, reopen }) => {
        expect(storage.checkpoint).toBeTypeOf('function')
        const state = { operators: [[{ key: [1, 'a'], row: { at: new Date(5), gone: undefined }, weight: 2 }]], rows: [] }
        await storage.append(commit(1, { users: [insert('ada', { name: 'ada', team: 'core' })] }))
        await storage.checkpoint!({ version: 1, views: new Map([['v', { hash: 'h1', state }], ['w', { hash: 'h2', state: 7 }]]) })
        await storage.append(commit(2, { users: [insert('bob', { name: 'bob', team: 'ui' })] }))
        await storage.append(commit(3, { users: [remove('ada', { name: 'ada', team: 'core' })] }))
        const loaded = await reopen().load()
        expect(loaded?.checkpoint?.version).toBe(1)
        expect(loaded?.checkpoint?.views).toEqual(new Map([['v', { hash: 'h1', state }], ['w', { hash: 'h2', state: 7 }]]))
        expect(loaded?.checkpoint?.log.map((c) => [c.version, [...c.changes]])).toEqual([
          [2, [['users', [insert('bob', { name: 'bob', team: 'ui' })]]]],
          [3, [['users', [remove('ada', { name: 'ada', team: 'core' })]]]],
        ])
        const again = reopen()
        await again.load()
        await again.checkpoint!({ version: 3, views: new Map([['w', { hash: 'h3', state: 8 }]]) })
        const latest = await reopen().load()
        expect(latest?.checkpoint).toEqual({ version: 3, views: new Map([['w', { hash: 'h3', state: 8 }]]), log: [] })
      }),
    )

    test(
      'a reopened store restores its views from the checkpoint without recomputing them, and replays later commits',
      withFixture(async ({ storage, reopen }) => {
        let calls = 0
        // A map after a join: its rows are saved, so reopening does not call it for rows that did not change.
        const counted = view('counted', issues.join(users, 'owner', 'name').map(([i, u]) => (calls++, { id: i.id, team: u.team })))
        const all = [...views, counted]
        const store = createStore({ views: all, storage })
        await store.ready
        store.transact((tx) => {
          tx.insert(users, [{ name: 'ada', team: 'core' }, { name: 'bob', team: 'ui' }])
          tx.insert(issues, [1, 2, 3, 4].map((id) => issue(id, id % 2 ? 'ada' : 'bob')))
        })
        await store.checkpoint()
        store.transact((tx) => tx.update(issues, 2, { open: false, owner: 'ada' }))
        await store.flush()
        const before = { ...readViews(store), counted: store.read(counted) }
        calls = 0
        const reopened = createStore({ views: all, storage: reopen() })
        await reopened.ready
        expect({ ...readViews(reopened), counted: reopened.read(counted) }).toEqual(before)
        // One replayed commit: the update's old and new row, nothing else.
        expect(calls).toBe(2)
      }),
    )

    test(
      'changing one view\'s function rebuilds that view alone; the others are restored',
      withFixture(async ({ storage, reopen }) => {
        const calls = { team: 0, owner: 0 }
        const joined = issues.join(users, 'owner', 'name')
        const teamOf = view('teamOf', joined.map(([i, u]) => (calls.team++, { id: i.id, team: u.team })))
        const perOwnerTeam = view('perOwnerTeam', joined.filter(() => (calls.owner++, true)).groupBy(([, u]) => u.team, { n: count() }))
        const store = createStore({ views: [teamOf, perOwnerTeam], storage })
        await store.ready
        store.transact((tx) => {
          tx.insert(users, [{ name: 'ada', team: 'core' }, { name: 'bob', team: 'ui' }])
          tx.insert(issues, [1, 2, 3].map((id) => issue(id, id % 2 ? 'ada' : 'bob')))
        })
        await store.checkpoint()
        calls.team = calls.owner = 0
        // The same definitions: nothing is recomputed.
        const same = createStore({ views: [teamOf, perOwnerTeam], storage: reopen() })
        await same.ready
        expect(calls).toEqual({ team: 0, owner: 0 })
        // teamOf's map has another source text: it alone runs again, over every joined row.
        const changedView = view('teamOf', joined.map(([i, u]) => (calls.team++, { id: i.id, team: `team ${u.team}` })))
        const changed = createStore({ views: [changedView, perOwnerTeam], storage: reopen() })
        await changed.ready
        expect(calls).toEqual({ team: 3, owner: 0 })
        expect([...changed.read(changedView)].sort(byJson)).toEqual([
          { id: 1, team: 'team core' },
          { id: 2, team: 'team ui' },
          { id: 3, team: 'team core' },
        ])
        expect([...changed.read(perOwnerTeam)].sort(byJson)).toEqual([{ key: 'core', n: 2 }, { key: 'ui', n: 1 }])
      }),
    )
  })
}
