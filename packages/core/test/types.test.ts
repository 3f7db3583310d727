import { describe, expect, expectTypeOf, test } from 'vitest'
import {
  InvalidRowError,
  avg,
  collection,
  count,
  createStore,
  max,
  min,
  reducer,
  sum,
  view,
  type Change,
  type Key,
  type OrderedRelation,
  type Relation,
  type View,
} from '../src/index'

// Type-level tests: `tsc --noEmit` checks every expectTypeOf and every @ts-expect-error below (an
// expected error that does not occur is itself an error). Each test also runs the code it types, so the
// types are checked against what the engine really returns.

interface Issue {
  readonly id: number
  readonly title: string
  readonly ownerId: number
  readonly projectId: number
  readonly priority: number
  readonly estimate: number | null
  readonly createdAt: Date
}
interface User {
  readonly id: number
  readonly name: string
}

const issues = collection<Issue>('issues', { key: 'id' })
const users = collection<User>('users', { key: 'id' })

const ada: User = { id: 1, name: 'ada' }
const first: Issue = { id: 1, title: 'a', ownerId: 1, projectId: 7, priority: 2, estimate: null, createdAt: new Date(0) }
const second: Issue = { id: 2, title: 'b', ownerId: 2, projectId: 7, priority: 5, estimate: 3, createdAt: new Date(1) }

function storeWith<T, P extends Key>(v: View<T, P>) {
  const store = createStore({ views: [v] })
  store.transact((tx) => {
    tx.insert(users, ada)
    tx.insert(issues, [first, second])
  })
  return store
}

describe('row type inference', () => {
  test('a join yields [left, right] pairs', () => {
    const joined = issues.join(users, 'ownerId', 'id')
    expectTypeOf(joined).toEqualTypeOf<Relation<[Issue, User]>>()
    const v = view('joined', joined)
    expectTypeOf(v).toEqualTypeOf<View<[Issue, User]>>()
    const store = storeWith(v)
    const rows = store.read(v)
    expectTypeOf(rows).toEqualTypeOf<readonly [Issue, User][]>()
    expectTypeOf(store.get(v, [1, 1])).toEqualTypeOf<[Issue, User] | undefined>()
    expect(rows).toEqual([[first, ada]])
  })

  test('a join by selector functions infers the same pairs', () => {
    const joined = issues.join(users, (i) => i.ownerId, (u) => u.id)
    expectTypeOf(joined).toEqualTypeOf<Relation<[Issue, User]>>()
  })

  test('a leftJoin may have no right side', () => {
    const v = view('maybeOwner', issues.leftJoin(users, 'ownerId', 'id'))
    const rows = storeWith(v).read(v)
    expectTypeOf(rows).toEqualTypeOf<readonly [Issue, User | undefined][]>()
    expect(rows).toEqual([
      [first, ada],
      [second, undefined],
    ])
  })

  test('semiJoin and antiJoin keep the left row type', () => {
    expectTypeOf(issues.semiJoin(users, 'ownerId', 'id')).toEqualTypeOf<Relation<Issue>>()
    expectTypeOf(issues.antiJoin(users, 'ownerId', 'id')).toEqualTypeOf<Relation<Issue>>()
  })

  test('a groupBy row has the key and each aggregate’s result type', () => {
    const v = view(
      'perProject',
      issues.groupBy((i) => i.projectId, {
        n: count(),
        total: sum((i) => i.priority),
        highest: max((i) => i.priority),
        maxEstimate: max((i) => i.estimate),
        mean: avg((i) => i.priority),
        firstTitle: min((i) => i.title),
        titles: reducer<Issue, readonly string[]>({
          initial: [],
          add: (acc, i) => [...acc, i.title],
          remove: (acc, i) => acc.filter((t) => t !== i.title),
        }),
      }),
    )
    const row = storeWith(v).get(v, 7)!
    expectTypeOf(row.key).toEqualTypeOf<number>()
    expectTypeOf(row.n).toEqualTypeOf<number>()
    expectTypeOf(row.total).toEqualTypeOf<number>()
    expectTypeOf(row.highest).toEqualTypeOf<number>()
    expectTypeOf(row.maxEstimate).toEqualTypeOf<number | null>()
    expectTypeOf(row.mean).toEqualTypeOf<number | null>()
    expectTypeOf(row.firstTitle).toEqualTypeOf<string>()
    expectTypeOf(row.titles).toEqualTypeOf<readonly string[]>()
    expectTypeOf(row).branded.toEqualTypeOf<{
      readonly key: number
      readonly n: number
      readonly total: number
      readonly highest: number
      readonly maxEstimate: number | null
      readonly mean: number | null
      readonly firstTitle: string
      readonly titles: readonly string[]
    }>()
    expect(row).toEqual({ key: 7, n: 2, total: 7, highest: 5, maxEstimate: 3, mean: 3.5, firstTitle: 'a', titles: ['a', 'b'] })
  })

  test('a groupBy key may be a tuple', () => {
    const grouped = issues.groupBy((i) => [i.projectId, i.ownerId] as const, { n: count() })
    const v = view('pairs', grouped)
    const row = storeWith(v).get(v, [7, 1])!
    expectTypeOf(row.key).toEqualTypeOf<readonly [number, number]>()
    expect(row).toEqual({ key: [7, 1], n: 1 })
  })

  test('map infers its output row; a type-guard filter narrows', () => {
    const mapped = issues.map((i) => ({ id: i.id, label: `#${i.id} ${i.title}` }))
    expectTypeOf(mapped).toEqualTypeOf<Relation<{ id: number; label: string }>>()
    const estimated = issues.filter((i): i is Issue & { readonly estimate: number } => i.estimate !== null)
    expectTypeOf(estimated).toEqualTypeOf<Relation<Issue & { readonly estimate: number }>>()
    const v = view('labels', estimated.map((i) => ({ id: i.id, label: i.title, estimate: i.estimate })))
    const rows = storeWith(v).read(v)
    expectTypeOf(rows).toEqualTypeOf<readonly { id: number; label: string; estimate: number }[]>()
    expect(rows).toEqual([{ id: 2, label: 'b', estimate: 3 }])
  })

  test('orderBy and limit stay ordered relations of the same rows', () => {
    const latest = issues.orderBy((i) => i.createdAt, 'desc').limit(1)
    expectTypeOf(latest).toEqualTypeOf<OrderedRelation<Issue>>()
    const v = view('latest', latest)
    expect(storeWith(v).read(v)).toEqual([second])
  })

  test('subscribers receive changes of the view’s row type', () => {
    const v = view('joined', issues.join(users, 'ownerId', 'id'))
    const store = storeWith(v)
    const heard: (readonly Change<[Issue, User]>[])[] = []
    store.subscribe(v, (diff, version) => {
      expectTypeOf(diff).toEqualTypeOf<readonly Change<[Issue, User]>[]>()
      expectTypeOf(version).toEqualTypeOf<number>()
      heard.push(diff)
    })
    store.transact((tx) => tx.insert(users, { id: 2, name: 'bob' }))
    expect(heard).toEqual([[{ key: [2, 2], row: [second, { id: 2, name: 'bob' }], weight: 1 }]])
  })
})

describe('partitioned views', () => {
  test('store.read and store.get take the partition key type', () => {
    const v = view('byProject', issues.partitionBy((i) => i.projectId))
    expectTypeOf(v).toEqualTypeOf<View<Issue, number>>()
    const store = storeWith(v)
    expectTypeOf(store.read(v, 7)).toEqualTypeOf<readonly Issue[]>()
    expect(store.read(v, 7)).toEqual([first, second])
    expect(store.get(v, 2, 7)).toBe(second)
    // @ts-expect-error a partition of the wrong type (a string for a number key)
    expect(store.read(v, '7')).toEqual([])
    // @ts-expect-error a partition of the wrong type
    expect(store.get(v, 2, 'x')).toBeUndefined()
    // @ts-expect-error a partition of the wrong type
    store.subscribe(v, () => {}, [7])
  })

  test('a view that is not partitioned takes no partition', () => {
    // FAILS the type-check (a known bug in store.ts, which this change may not touch): read, get and
    // subscribe infer `P` from the partition argument as well as from the view, so a View<Issue, never>
    // passes as a View<Issue, number> (and a View<Issue, number> as a View<Issue, number | null>): these
    // lines compile, silently reading (or listening to) a partition that cannot exist. Declaring the
    // parameter `partition?: NoInfer<P>` fixes all of them.
    const v = view('all', issues.filter(() => true))
    const store = storeWith(v)
    const byProject = view('byProject', issues.partitionBy((i) => i.projectId))
    // @ts-expect-error a null partition for a number partition key
    expect(storeWith(byProject).read(byProject, null)).toEqual([])
    // @ts-expect-error not partitioned: the partition parameter is `never`
    expect(store.read(v, 7)).toEqual([])
    // @ts-expect-error not partitioned: the partition parameter is `never`
    expect(store.get(v, 1, 7)).toBeUndefined()
    // @ts-expect-error not partitioned: the partition parameter is `never`
    store.subscribe(v, () => {}, 7)
    expect(store.read(v)).toEqual([first, second])
  })
})

describe('misuse the compiler rejects', () => {
  test('a join selector must name a key field of its side', () => {
    // @ts-expect-error no such field on Issue
    const misnamed = issues.join(users, 'owner', 'id')
    // @ts-expect-error a Date field cannot be a join key
    const notAKey = issues.join(users, 'createdAt', 'id')
    // @ts-expect-error a field of the other side
    const otherSide = issues.join(users, 'ownerId', 'ownerId')
    // At runtime a misnamed field reads undefined, which matches nothing.
    const v = view('misnamed', misnamed)
    expect(storeWith(v).read(v)).toEqual([])
    expect([notAKey, otherSide]).toHaveLength(2)
  })

  test('a collection accepts only rows of its type', () => {
    const store = createStore({ collections: [issues] })
    expect(() =>
      store.transact((tx) => {
        // @ts-expect-error a row without its primary key
        tx.insert(issues, { title: 'no id' })
      }),
    ).toThrow(InvalidRowError)
    expect(() =>
      store.transact((tx) => {
        // @ts-expect-error not a row at all
        tx.insert(issues, 'issue')
      }),
    ).toThrow(InvalidRowError)
    store.transact((tx) => {
      tx.insert(issues, first)
      // @ts-expect-error a field of the wrong type
      tx.update(issues, 1, { priority: 'high' })
      tx.delete(issues, 1)
    })
    expect(store.read(issues)).toEqual([])
  })

  test('limit needs an order', () => {
    // @ts-expect-error an unordered relation has no limit
    expect(() => issues.limit(3)).toThrow(TypeError)
  })
})
