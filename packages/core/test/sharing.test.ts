import { describe, expect, test } from 'vitest'
import { collection, count, createStore, view } from '../src/index'

interface Issue {
  readonly id: number
  readonly ownerId: number
  readonly open: boolean
}
interface User {
  readonly id: number
  readonly name: string
}

const issues = collection<Issue>('issues', { key: 'id' })
const users = collection<User>('users', { key: 'id' })
const byOwner = (i: Issue) => i.ownerId

describe('circuit sharing', () => {
  test('joins of the same stream on the same selector read one arrangement', () => {
    const a = view('a', issues.join(users, 'ownerId', 'id').map(([i, u]) => ({ id: i.id, owner: u.name })))
    const b = view('b', issues.semiJoin(users, 'ownerId', 'id'))
    const c = view('c', users.join(issues, 'id', 'ownerId').groupBy(([u]) => u.id, { n: count() }))
    const d = view('d', issues.antiJoin(users, byOwner, 'id'))
    const e = view('e', issues.leftJoin(users, byOwner, 'id'))
    const store = createStore({ views: [a, b, c, d, e] })
    const arrangements = store.describe().operators.filter((o) => o.kind === 'arrange')
    // issues by 'ownerId', issues by byOwner (a different selector), users by 'id'.
    expect(arrangements).toHaveLength(3)
    store.transact((tx) => {
      tx.insert(users, { id: 1, name: 'ada' })
      tx.insert(issues, [{ id: 1, ownerId: 1, open: true }, { id: 2, ownerId: 2, open: true }])
    })
    expect(arrangements.map((o) => store.describe().operators[o.id]!.state).sort()).toEqual([1, 2, 2])
    expect(store.read(a)).toEqual([{ id: 1, owner: 'ada' }])
    expect(store.read(b).map((i) => i.id)).toEqual([1])
    expect(store.read(d).map((i) => i.id)).toEqual([2])
    expect(store.read(e)).toHaveLength(2)
  })

  test('a relation used by two views compiles once', () => {
    const open = issues.filter((i) => i.open)
    const store = createStore({ views: [view('x', open.map((i) => i.id)), view('y', open.groupBy((i) => i.ownerId, { n: count() }))] })
    expect(store.describe().operators.filter((o) => o.kind === 'filter')).toHaveLength(1)
  })
})

describe('filters and maps fused into a join', () => {
  const joined = issues.join(users, 'ownerId', 'id')
  const chain = joined.filter(([i]) => i.open).map(([i, u]) => ({ id: i.id, owner: u.name }), { key: (r) => r.id })

  test('a chain of them over an inner join is one operator, which names them', () => {
    const chainView = view('chain', chain)
    const store = createStore({ views: [chainView] })
    const kinds = store.describe().operators.map((o) => o.kind)
    expect(kinds.filter((k) => k === 'filter' || k === 'map')).toEqual([])
    const [join] = store.describe().operators.filter((o) => o.kind === 'join')
    expect(join!.label).toBe(`join#${join!.id}→filter→map`)
    store.transact((tx) => {
      tx.insert(users, [{ id: 1, name: 'ada' }, { id: 2, name: 'bob' }])
      tx.insert(issues, [{ id: 1, ownerId: 1, open: true }, { id: 2, ownerId: 2, open: false }, { id: 3, ownerId: 2, open: true }])
    })
    expect(store.read(chainView)).toEqual([{ id: 1, owner: 'ada' }, { id: 3, owner: 'bob' }])
    expect(store.get(chainView, 3)).toEqual({ id: 3, owner: 'bob' })
  })

  test('a join another view reads already is read as it is, not fused again', () => {
    const store = createStore({ views: [view('joined', joined), view('chain', chain)] })
    const kinds = store.describe().operators.map((o) => o.kind)
    expect(kinds.filter((k) => k === 'join')).toHaveLength(1)
    expect(kinds.filter((k) => k === 'filter' || k === 'map')).toEqual(['filter', 'map'])
  })

  test('what a fused stage throws names the join and its stages', () => {
    const failing = view('failing', joined.filter(([i]) => (i.id === 9 ? (JSON.parse('{') as boolean) : true)))
    const store = createStore({ views: [failing] })
    store.transact((tx) => tx.insert(users, { id: 1, name: 'ada' }))
    expect(() => store.transact((tx) => tx.insert(issues, { id: 9, ownerId: 1, open: true }))).toThrow(/join#\d+→filter in view 'failing' threw/)
    expect(store.read(failing)).toEqual([])
  })
})

describe('a group-by fused into the join it reads', () => {
  const joined = issues.join(users, 'ownerId', 'id')
  const openJoined = joined.filter(([i]) => i.open)
  const perOwner = openJoined.groupBy(([, u]) => u.name, { n: count() })

  test('a group-by over a chain over an inner join is one operator, which names it', () => {
    const perOwnerView = view('perOwner', perOwner)
    const store = createStore({ views: [perOwnerView] })
    const kinds = store.describe().operators.map((o) => o.kind)
    expect(kinds.filter((k) => k === 'filter' || k === 'groupBy')).toEqual([])
    const [join] = store.describe().operators.filter((o) => o.kind === 'join')
    expect(join!.label).toBe(`join#${join!.id}→filter→groupBy`)
    store.transact((tx) => {
      tx.insert(users, [{ id: 1, name: 'ada' }, { id: 2, name: 'bob' }])
      tx.insert(issues, [{ id: 1, ownerId: 1, open: true }, { id: 2, ownerId: 2, open: false }, { id: 3, ownerId: 2, open: true }, { id: 4, ownerId: 2, open: true }])
    })
    expect(store.read(perOwnerView)).toEqual([{ key: 'ada', n: 1 }, { key: 'bob', n: 2 }])
    expect(store.describe().operators.find((o) => o.id === join!.id)!.state).toBe(2)
  })

  test('a chain another view reads already is read as it is, and the group-by is its own operator', () => {
    const store = createStore({ views: [view('open', openJoined), view('perOwner', perOwner)] })
    const kinds = store.describe().operators.map((o) => o.kind)
    expect(kinds.filter((k) => k === 'groupBy')).toHaveLength(1)
  })

  test('a step that fails after making a group leaves no trace of it for the steps after', () => {
    // The group key throws on issue 9's pair, after the join put issue 8's pair into a new group ('cy').
    const fused = view('fused', joined.groupBy(([i, u]) => (i.id === 9 ? (JSON.parse('{') as string) : u.name), { n: count() }))
    const store = createStore({ views: [fused] })
    store.transact((tx) => tx.insert(users, [{ id: 1, name: 'ada' }, { id: 3, name: 'cy' }]))
    store.transact((tx) => tx.insert(issues, { id: 1, ownerId: 1, open: true }))
    expect(() =>
      store.transact((tx) => tx.insert(issues, [{ id: 8, ownerId: 3, open: true }, { id: 9, ownerId: 1, open: true }])),
    ).toThrow(/join#\d+→groupBy in view 'fused' threw/)
    expect(store.read(fused)).toEqual([{ key: 'ada', n: 1 }])
    store.transact((tx) => tx.insert(issues, { id: 8, ownerId: 3, open: true }))
    expect(store.read(fused)).toEqual([{ key: 'ada', n: 1 }, { key: 'cy', n: 1 }])
    store.transact((tx) => tx.insert(issues, { id: 10, ownerId: 3, open: true }))
    expect(store.read(fused)).toEqual([{ key: 'ada', n: 1 }, { key: 'cy', n: 2 }])
  })

  test('what a fused group-by throws names the join and the group-by', () => {
    const failing = view('failing', joined.groupBy(([i]) => (i.id === 9 ? (JSON.parse('{') as string) : 'all'), { n: count() }))
    const store = createStore({ views: [failing] })
    store.transact((tx) => tx.insert(users, { id: 1, name: 'ada' }))
    expect(() => store.transact((tx) => tx.insert(issues, { id: 9, ownerId: 1, open: true }))).toThrow(/join#\d+→groupBy in view 'failing' threw/)
    expect(store.read(failing)).toEqual([])
  })
})
