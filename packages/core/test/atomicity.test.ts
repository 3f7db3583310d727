import { describe, expect, test } from 'vitest'
import {
  DuplicateKeyError,
  KeyCollisionError,
  MissingKeyError,
  OperatorError,
  UsageError,
  collection,
  count,
  createStore,
  max,
  memoryStorage,
  min,
  reducer,
  sum,
  view,
  type Change,
  type Key,
  type Storage,
  type Store,
  type Transaction,
  type View,
} from '../src/index'

// A failed transaction must be invisible: every read (down to the identity of the arrays returned), every
// get, the version, the circuit's state sizes and the subscribers are as if it had never been attempted,
// and the store goes on exactly as a store that never saw it.

interface Issue {
  readonly id: number
  readonly title: string
  readonly status: 'open' | 'closed'
  readonly ownerId: number
  readonly projectId: number
  readonly priority: number
}
interface User {
  readonly id: number
  readonly name: string
}

const issues = collection<Issue>('issues', { key: 'id' })
const users = collection<User>('users', { key: 'id' })

// User functions that throw on a marked title, so that a test chooses which operator fails and when.
const failures = {
  filter: new Error('filter failed'),
  map: new Error('map failed'),
  groupKey: new Error('group key failed'),
  reducer: new Error('reducer failed'),
  joinKey: new Error('join key failed'),
  joinGroupKey: new Error('group key over a join failed'),
  joinReducer: new Error('reducer over a join failed'),
  order: new Error('order failed'),
  partition: new Error('partition failed'),
}
const failOn = <R>(title: string, failure: Error, i: Issue, result: R): R => {
  if (i.title === title) throw failure
  return result
}

/** Titles the groupBy of `perProject` has folded in: shows how far a failing step got. */
const folded: string[] = []

const open = view('open', issues.filter((i) => i.status === 'open'))
const withOwner = view(
  'withOwner',
  issues.join(users, 'ownerId', 'id').map(([i, u]) => ({ id: i.id, title: i.title, owner: u.name })),
)
const withMaybeOwner = view('withMaybeOwner', issues.leftJoin(users, 'ownerId', 'id'))
const unowned = view('unowned', issues.antiJoin(users, 'ownerId', 'id'))
const perProject = view(
  'perProject',
  issues.groupBy((i) => i.projectId, {
    n: count(),
    priority: sum((i) => i.priority),
    lowest: min((i) => i.priority),
    highest: max((i) => i.priority),
    titles: reducer<Issue, number>({
      initial: 0,
      add: (n, i) => {
        folded.push(i.title)
        return n + 1
      },
      remove: (n) => n - 1,
    }),
  }),
)
const statuses = view('statuses', issues.map((i) => ({ status: i.status }), { key: (r) => r.status }).distinct())
const top = view('top', issues.orderBy((i) => i.priority, 'desc').limit(2))
const topPerProject = view('topPerProject', issues.orderBy((i) => i.priority, 'desc').limit(1, { per: (i) => i.projectId }))
const byTitle = view('byTitle', issues.orderBy((i) => i.title))
const byProject = view('byProject', issues.partitionBy((i) => i.projectId))
// The views below fail on marked rows. They come last, so their operators run after every operator of
// the views above has already changed its state in the step.
const checkedFilter = view('checkedFilter', issues.filter((i) => failOn('filter!', failures.filter, i, true)))
const checkedMap = view('checkedMap', issues.map((i) => failOn('map!', failures.map, i, { id: i.id, title: i.title })))
const checkedGroup = view(
  'checkedGroup',
  issues.groupBy((i) => failOn('key!', failures.groupKey, i, i.status), {
    n: reducer<Issue, number>({ initial: 0, add: (n, i) => failOn('reduce!', failures.reducer, i, n + 1), remove: (n) => n - 1 }),
  }),
)
// A group-by over an inner join is fused into the join: each pair goes straight into its group.
const checkedJoinGroup = view(
  'checkedJoinGroup',
  issues.join(users, 'ownerId', 'id').groupBy(([i, u]) => failOn('joinKey!', failures.joinGroupKey, i, u.name), {
    n: count(),
    highest: max(([i]) => i.priority),
    titles: reducer<readonly [Issue, User], number>({
      initial: 0,
      add: (n, [i]) => failOn('joinReduce!', failures.joinReducer, i, n + 1),
      remove: (n) => n - 1,
    }),
  }),
)
const checkedJoin = view(
  'checkedJoin',
  issues.join(users, (i) => failOn('join!', failures.joinKey, i, i.ownerId), 'id'),
)
const checkedOrder = view('checkedOrder', issues.orderBy((i) => failOn('order!', failures.order, i, i.priority)))
const checkedPartition = view('checkedPartition', issues.partitionBy((i) => failOn('part!', failures.partition, i, i.ownerId)))
// Every 'dup…' title maps to one key: two of them collide in this view's sink, the last one applied.
const dupes = view('dupes', issues.filter((i) => i.title.startsWith('dup')).map((i) => i, { key: (i) => i.title }))

const VIEWS: readonly View<unknown, Key>[] = [
  open,
  withOwner,
  withMaybeOwner,
  unowned,
  perProject,
  statuses,
  top,
  topPerProject,
  byTitle,
  byProject,
  checkedFilter,
  checkedMap,
  checkedGroup,
  checkedJoinGroup,
  checkedJoin,
  checkedOrder,
  checkedPartition,
  dupes,
]

const ISSUE_IDS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
const USER_IDS = [1, 2, 3, 9]
const PROJECTS = [0, 1, 2, 3]
const PAIRS = ISSUE_IDS.flatMap((i) => USER_IDS.map((u) => [i, u]))

/** The keys to probe with `get`, per view. */
const KEYS = new Map<View<unknown, Key>, readonly Key[]>([
  [withOwner, PAIRS],
  [withMaybeOwner, [...PAIRS, ...ISSUE_IDS.map((i) => [i])]],
  [checkedJoin, PAIRS],
  [perProject, PROJECTS],
  [statuses, ['open', 'closed']],
  [checkedGroup, ['open', 'closed']],
  [dupes, ['dup']],
])

function issue(id: number, title: string, status: Issue['status'], ownerId: number, projectId: number, priority: number): Issue {
  return { id, title, status, ownerId, projectId, priority }
}

function seed(tx: Transaction): void {
  tx.insert(users, [
    { id: 1, name: 'ada' },
    { id: 2, name: 'bob' },
    { id: 3, name: 'cy' },
  ])
  tx.insert(issues, [
    issue(1, 'a', 'open', 1, 0, 3),
    issue(2, 'b', 'open', 2, 0, 1),
    issue(3, 'c', 'closed', 1, 1, 2),
    issue(4, 'd', 'open', 9, 1, 5),
    issue(5, 'e', 'closed', 3, 2, 0),
    issue(6, 'dup', 'open', 2, 2, 4),
  ])
}

/** A transaction that changes every view: inserts, updates and deletes on both collections. */
function bigChange(tx: Transaction): void {
  tx.insert(issues, issue(7, 'g', 'open', 3, 0, 9))
  tx.update(issues, 1, { status: 'closed', priority: 0 })
  tx.update(issues, 3, (d) => {
    d.title = 'c2'
    d.projectId = 2
  })
  tx.delete(issues, 2)
  tx.insert(issues, issue(8, 'h', 'closed', 2, 3, 6))
  tx.insert(users, { id: 9, name: 'zed' })
  tx.update(users, 2, { name: 'bobby' })
  tx.delete(users, 3)
}

function followUp(tx: Transaction): void {
  tx.insert(issues, issue(10, 'i', 'open', 2, 1, 7))
  tx.update(issues, 4, { status: 'closed' })
  tx.delete(issues, 5)
  tx.update(users, 1, { name: 'ada2' })
}

type Heard = Map<string, { version: number; diff: readonly Change<unknown>[] }[]>

interface Setup {
  readonly store: Store
  /** What each subscription heard: one per view, per partition of `byProject`, per collection. */
  readonly heard: Heard
  readonly listenerErrors: unknown[]
}

function setup(storage: Storage = memoryStorage(), seeded = true): Setup {
  const listenerErrors: unknown[] = []
  const store = createStore({ views: VIEWS, storage, onListenerError: (error) => listenerErrors.push(error) })
  if (seeded) store.transact(seed)
  const heard: Heard = new Map()
  const listen = (name: string) => {
    const list: { version: number; diff: readonly Change<unknown>[] }[] = []
    heard.set(name, list)
    return (diff: readonly Change<unknown>[], version: number) => list.push({ version, diff })
  }
  for (const v of VIEWS) store.subscribe(v, listen(v.name))
  for (const p of PROJECTS) store.subscribe(byProject, listen(`byProject/${p}`), p)
  store.subscribe(issues, listen('issues'))
  store.subscribe(users, listen('users'))
  return { store, heard, listenerErrors }
}

type Read = [name: string, ordered: boolean, read: () => readonly unknown[]]

/** Every read a store offers: each view, each partition of `byProject`, each collection. */
function reads(store: Store): Read[] {
  return [
    ...VIEWS.map((v): Read => [v.name, v.order !== undefined, () => store.read(v)]),
    ...[...PROJECTS, 99].map((p): Read => [`byProject/${p}`, false, () => store.read(byProject, p)]),
    ['issues', false, () => store.read(issues)],
    ['users', false, () => store.read(users)],
  ]
}

/** Every `get` worth asking: each probe key of each view and collection, present or not. */
function gets(store: Store): [name: string, get: () => unknown][] {
  const out: [string, () => unknown][] = []
  for (const v of VIEWS)
    for (const k of KEYS.get(v) ?? ISSUE_IDS) out.push([`${v.name}:${JSON.stringify(k)}`, () => store.get(v, k)])
  for (const p of PROJECTS) for (const id of ISSUE_IDS) out.push([`byProject/${p}:${id}`, () => store.get(byProject, id, p)])
  for (const id of ISSUE_IDS) out.push([`issues:${id}`, () => store.get(issues, id)])
  for (const id of USER_IDS) out.push([`users:${id}`, () => store.get(users, id)])
  return out
}

interface Snapshot {
  readonly version: number
  readonly arrays: Map<string, readonly unknown[]>
  readonly contents: Map<string, unknown>
  readonly rows: Map<string, unknown>
  readonly description: ReturnType<Store['describe']>
}

function snapshot(store: Store): Snapshot {
  const arrays = new Map<string, readonly unknown[]>()
  const contents = new Map<string, unknown>()
  for (const [name, , read] of reads(store)) {
    const rows = read()
    arrays.set(name, rows)
    contents.set(name, structuredClone(rows))
  }
  return {
    version: store.version,
    arrays,
    contents,
    rows: new Map(gets(store).map(([name, get]) => [name, get()])),
    description: store.describe(),
  }
}

function expectUnchanged(s: Setup, before: Snapshot): void {
  const { store } = s
  expect(store.version).toBe(before.version)
  for (const [name, , read] of reads(store)) {
    const rows = read()
    expect(rows, `read ${name}: same array`).toBe(before.arrays.get(name))
    expect(rows, `read ${name}: same rows`).toEqual(before.contents.get(name))
  }
  for (const [name, get] of gets(store)) expect(get(), `get ${name}`).toBe(before.rows.get(name))
  expect(store.describe()).toEqual(before.description)
  for (const [name, list] of s.heard) expect(list, `subscriber of ${name}`).toEqual([])
  expect(s.listenerErrors).toEqual([])
}

/** JSON with object keys sorted: equal rows give equal text whatever their key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  )
}
const multiset = (rows: readonly unknown[]) => rows.map(canonical).sort()

/** Two stores hold the same: ordered reads in the same order, unordered ones as the same multiset. */
function expectSameContents(actual: Store, expected: Store): void {
  expect(actual.version).toBe(expected.version)
  const theirs = new Map(reads(expected).map(([name, , read]) => [name, read()]))
  for (const [name, ordered, read] of reads(actual)) {
    if (ordered) expect(read(), `read ${name}`).toEqual(theirs.get(name))
    else expect(multiset(read()), `read ${name}`).toEqual(multiset(theirs.get(name)!))
  }
  const theirRows = new Map(gets(expected).map(([name, get]) => [name, get()]))
  for (const [name, get] of gets(actual)) expect(get(), `get ${name}`).toEqual(theirRows.get(name))
  expect(structure(actual)).toEqual(structure(expected))
}

/** `describe()` without subscriber counts: the circuit, its state sizes and the rows per view. */
function structure(store: Store) {
  const { version, collections, views, operators } = store.describe()
  return { version, collections, operators, views: views.map(({ subscribers: _, ...v }) => v) }
}

const normalizeHeard = (heard: Heard) =>
  [...heard].map(([name, list]) => [name, list.map(({ version, diff }) => ({ version, diff: multiset(diff) }))])

/** Changes users only: views that read only issues take no part in the step. */
function renameUser(tx: Transaction): void {
  tx.update(users, 1, { name: 'ada!' })
}

/**
 * After a failure, the store must carry on as one that never saw it: the same valid transactions give
 * the same contents, and subscribers hear the same diffs. The first one leaves most operators and views
 * out of the step, so anything the failed step left behind in them (an arrangement's pending input, a
 * view's diff) would show.
 */
function expectRecovers(s: Setup): void {
  const control = setup()
  for (const { store } of [s, control]) {
    store.transact(renameUser)
    store.transact(bigChange)
    store.transact(followUp)
  }
  expectSameContents(s.store, control.store)
  expect(normalizeHeard(s.heard)).toEqual(normalizeHeard(control.heard))
  expect(s.listenerErrors).toEqual([])
}

function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  throw new Error('expected a throw')
}

/** Runs a failing transaction on a seeded store; checks that nothing changed and that the store recovers. */
function expectAtomicFailure(change: (tx: Transaction) => void): unknown {
  const s = setup()
  const before = snapshot(s.store)
  const error = thrown(() => s.store.transact(change))
  expectUnchanged(s, before)
  expectRecovers(s)
  return error
}

/** Inserts an issue whose title makes one of the checked views' functions throw. */
const marked = (title: string) => (tx: Transaction) => tx.insert(issues, issue(9, title, 'open', 1, 0, 8))
const operatorFailures: {
  readonly what: string
  readonly change: (tx: Transaction) => void
  readonly view: string
  readonly operator: RegExp
  readonly cause: Error
}[] = [
  { what: 'a filter predicate', change: marked('filter!'), view: 'checkedFilter', operator: /^filter#\d+$/, cause: failures.filter },
  { what: 'a map', change: marked('map!'), view: 'checkedMap', operator: /^map#\d+$/, cause: failures.map },
  {
    what: 'a map, on an updated row',
    change: (tx) => tx.update(issues, 5, { title: 'map!' }),
    view: 'checkedMap',
    operator: /^map#\d+$/,
    cause: failures.map,
  },
  { what: 'a groupBy key', change: marked('key!'), view: 'checkedGroup', operator: /^groupBy#\d+$/, cause: failures.groupKey },
  { what: 'a reducer', change: marked('reduce!'), view: 'checkedGroup', operator: /^groupBy#\d+$/, cause: failures.reducer },
  {
    what: 'a groupBy key fused into a join',
    change: marked('joinKey!'),
    view: 'checkedJoinGroup',
    operator: /^join#\d+→groupBy$/,
    cause: failures.joinGroupKey,
  },
  {
    what: 'a reducer fused into a join',
    change: marked('joinReduce!'),
    view: 'checkedJoinGroup',
    operator: /^join#\d+→groupBy$/,
    cause: failures.joinReducer,
  },
  { what: 'a join key selector', change: marked('join!'), view: 'checkedJoin', operator: /^arrange#\d+$/, cause: failures.joinKey },
  { what: 'an orderBy value', change: marked('order!'), view: 'checkedOrder', operator: /orderBy/, cause: failures.order },
  { what: 'a partitionBy key', change: marked('part!'), view: 'checkedPartition', operator: /partitionBy/, cause: failures.partition },
]

describe('store.transact: a failed transaction changes nothing', () => {
  test('the transact callback throws after making changes', () => {
    const failure = new Error('callback failed')
    const error = expectAtomicFailure((tx) => {
      bigChange(tx)
      throw failure
    })
    expect(error).toBe(failure)
  })

  test('an insert of a key the collection holds fails with DuplicateKeyError', () => {
    const error = expectAtomicFailure((tx) => {
      bigChange(tx)
      tx.insert(issues, issue(4, 'again', 'open', 1, 0, 0))
    })
    expect(error).toBeInstanceOf(DuplicateKeyError)
    expect(error).toMatchObject({ name: 'DuplicateKeyError', collection: 'issues', key: 4 })
  })

  test('an insert of a key inserted earlier in the same transaction fails with DuplicateKeyError', () => {
    const error = expectAtomicFailure((tx) => {
      bigChange(tx)
      tx.insert(users, { id: 9, name: 'zed again' })
    })
    expect(error).toBeInstanceOf(DuplicateKeyError)
    expect(error).toMatchObject({ collection: 'users', key: 9 })
  })

  test('an update of a missing key fails with MissingKeyError', () => {
    const error = expectAtomicFailure((tx) => {
      bigChange(tx)
      tx.update(issues, 42, { title: 'nope' })
    })
    expect(error).toBeInstanceOf(MissingKeyError)
    expect(error).toMatchObject({ name: 'MissingKeyError', collection: 'issues', key: 42, operation: 'update' })
  })

  test('a delete of a key deleted earlier in the same transaction fails with MissingKeyError', () => {
    const error = expectAtomicFailure((tx) => {
      bigChange(tx)
      tx.delete(users, 3)
    })
    expect(error).toBeInstanceOf(MissingKeyError)
    expect(error).toMatchObject({ collection: 'users', key: 3, operation: 'delete' })
  })

  test.each(operatorFailures)('$what throws mid-step: OperatorError naming the view and operator', (failure) => {
    const { change, view: name, operator, cause } = failure
    folded.length = 0
    const error = expectAtomicFailure((tx) => {
      bigChange(tx)
      change(tx)
    })
    expect(error).toBeInstanceOf(OperatorError)
    const e = error as OperatorError
    expect(e.views).toEqual([name])
    expect(e.operator).toMatch(operator)
    expect(e.message).toContain(`'${name}'`)
    expect(e.message).toContain(e.operator)
    expect(e.message).toContain(cause.message)
    expect(e.cause).toBe(cause)
    // The failing row got as far as the groupBy of an earlier view: the step had changed state already.
    expect(folded.some((t) => t.endsWith('!'))).toBe(true)
  })

  // A store whose collections are all empty steps without an undo log and, on failure, starts again from
  // a fresh circuit: the first transaction must be just as atomic.
  test.each(operatorFailures)('$what throws in the first transaction of an empty store: the store is as new', (failure) => {
    const s = setup(memoryStorage(), false)
    const before = snapshot(s.store)
    const error = thrown(() =>
      s.store.transact((tx) => {
        seed(tx)
        failure.change(tx)
      }),
    )
    expect(error).toBeInstanceOf(OperatorError)
    expect((error as OperatorError).views).toEqual([failure.view])
    expectUnchanged(s, before)
    s.store.transact(seed)
    // The control store of expectRecovers subscribes after its seed: compare what came after it.
    for (const list of s.heard.values()) list.length = 0
    expectRecovers(s)
  })

  test('two rows under one key in a view fail with KeyCollisionError after other views took the step', () => {
    const error = expectAtomicFailure((tx) => {
      bigChange(tx)
      tx.insert(issues, issue(9, 'dup', 'open', 1, 0, 8))
    })
    expect(error).toBeInstanceOf(KeyCollisionError)
    expect(error).toMatchObject({ name: 'KeyCollisionError', view: 'dupes', key: 'dup' })
  })

  test('storage whose append throws: rolled back after every operator, sink and index took the step', () => {
    const inner = memoryStorage()
    const diskFull = new Error('disk full')
    let failing = false
    const storage: Storage = {
      load: () => inner.load(),
      append(commit) {
        if (failing) throw diskFull
        inner.append(commit)
      },
    }
    const s = setup(storage)
    const before = snapshot(s.store)
    failing = true
    const error = thrown(() => s.store.transact(bigChange))
    failing = false
    expect(error).toBe(diskFull)
    expectUnchanged(s, before)
    expect(inner.log.map((c) => c.version)).toEqual([1])
    // What storage holds is what the store shows: a store reopened on it has the same contents.
    expectSameContents(createStore({ views: VIEWS, storage: inner }), s.store)
    expectRecovers(s)
    expect(inner.log.map((c) => c.version)).toEqual([1, 2, 3, 4])
  })

  test('transact inside transact throws UsageError and, uncaught, fails the outer transaction', () => {
    const s = setup()
    const before = snapshot(s.store)
    const error = thrown(() =>
      s.store.transact((tx) => {
        bigChange(tx)
        s.store.transact(followUp)
      }),
    )
    expect(error).toBeInstanceOf(UsageError)
    expectUnchanged(s, before)
    expectRecovers(s)
  })

  test('a transaction whose inner transact was caught commits its own changes only', () => {
    const s = setup()
    const control = setup()
    s.store.transact((tx) => {
      bigChange(tx)
      expect(() => s.store.transact(followUp)).toThrow(UsageError)
    })
    control.store.transact(bigChange)
    expectSameContents(s.store, control.store)
  })

  test("a view's function that calls transact fails the step with UsageError and changes nothing", () => {
    const holder: { store?: Store } = {}
    const reentrant = view(
      'reentrant',
      issues.filter((i) => {
        if (i.title === 'reenter!') holder.store!.transact((tx) => tx.insert(users, { id: 9, name: 'inner' }))
        return true
      }),
    )
    const store = createStore({ views: [reentrant], collections: [users] })
    holder.store = store
    store.transact(seed)
    const rows = store.read(reentrant)
    const usersBefore = store.read(users)
    const version = store.version
    expect(() => store.transact((tx) => tx.insert(issues, issue(50, 'reenter!', 'open', 1, 0, 1)))).toThrow(UsageError)
    expect(store.read(reentrant)).toEqual(rows)
    expect(store.read(users)).toEqual(usersBefore)
    expect(store.version).toBe(version)
    store.transact((tx) => tx.insert(issues, issue(51, 'fine', 'open', 1, 0, 1)))
    expect(store.get(reentrant, 51)?.title).toBe('fine')
    expect(store.version).toBe(version + 1)
  })
})

describe('store.subscribe', () => {
  test('hears every non-empty diff once, after the commit, in commit order', () => {
    const { store } = setup()
    const heard: { version: number; diff: readonly Change<Issue>[]; storeVersion: number; rows: readonly Issue[] }[] = []
    store.subscribe(open, (diff, version) => heard.push({ version, diff, storeVersion: store.version, rows: store.read(open) }))
    const g = issue(7, 'g', 'open', 1, 0, 1)
    store.transact((tx) => tx.insert(issues, g))
    store.transact((tx) => tx.update(issues, 3, { priority: 9 })) // closed: open does not change
    store.transact((tx) => tx.update(issues, 7, { status: 'closed' }))
    store.transact(() => undefined)
    expect(() => store.transact((tx) => tx.delete(issues, 99))).toThrow(MissingKeyError)
    store.transact((tx) => tx.delete(issues, 1))
    expect(heard.map((h) => h.version)).toEqual([2, 4, 5])
    expect(heard[0]!.diff).toEqual([{ key: 7, row: g, weight: 1 }])
    expect(heard[1]!.diff).toEqual([{ key: 7, row: g, weight: -1 }])
    expect(heard[2]!.diff).toEqual([{ key: 1, row: issue(1, 'a', 'open', 1, 0, 3), weight: -1 }])
    // Each listener call sees the committed store: its version and the diff already applied.
    for (const h of heard) expect(h.storeVersion).toBe(h.version)
    expect(heard[0]!.rows).toContain(g)
    expect(heard[1]!.rows.map((i) => i.id)).not.toContain(7)
  })

  test('a commit made by a listener is delivered after every listener heard the current one', () => {
    const { store } = setup()
    const log: string[] = []
    const nested = issue(8, 'nested', 'open', 1, 0, 0)
    let versionAfterNested = 0
    store.subscribe(issues, (_diff, version) => {
      log.push(`first@${version}`)
      if (version === 2) {
        store.transact((tx) => tx.insert(issues, nested))
        versionAfterNested = store.version
      }
    })
    store.subscribe(issues, (_diff, version) => log.push(`second@${version}`))
    store.subscribe(open, (diff, version) => log.push(`open@${version}:${diff.map((c) => c.key).join()}`))
    store.transact((tx) => tx.insert(issues, issue(7, 'g', 'open', 1, 0, 1)))
    expect(versionAfterNested).toBe(3)
    expect(store.version).toBe(3)
    expect([...log].sort()).toEqual(['first@2', 'first@3', 'open@2:7', 'open@3:8', 'second@2', 'second@3'])
    const lastOf2 = Math.max(...log.flatMap((l, i) => (l.includes('@2') ? [i] : [])))
    const firstOf3 = Math.min(...log.flatMap((l, i) => (l.includes('@3') ? [i] : [])))
    expect(lastOf2).toBeLessThan(firstOf3)
    expect(store.get(open, 8)).toBe(nested)
  })

  test("a listener's commit to another collection carries its own changes only", () => {
    const { store } = setup()
    const issueVersions: number[] = []
    const userDiffs: (readonly Change<User>[])[] = []
    const nine = { id: 9, name: 'nine' }
    store.subscribe(issues, (_diff, version) => {
      issueVersions.push(version)
      if (version === 2) store.transact((tx) => tx.insert(users, nine))
    })
    store.subscribe(users, (diff) => userDiffs.push(diff))
    const g = issue(7, 'g', 'open', 1, 0, 1)
    store.transact((tx) => tx.insert(issues, g))
    expect(store.version).toBe(3)
    expect(issueVersions).toEqual([2])
    expect(userDiffs).toEqual([[{ key: 9, row: nine, weight: 1 }]])
    expect(store.read(issues).filter((i) => i.id === 7)).toEqual([g])
  })

  test('a listener that throws affects neither the other listeners nor the store', () => {
    const errors: [unknown, string][] = []
    const store = createStore({ views: VIEWS, onListenerError: (error, source) => errors.push([error, source]) })
    const oops = new Error('listener failed')
    const heard: number[] = []
    store.subscribe(open, () => {
      throw oops
    })
    store.subscribe(open, (_diff, version) => heard.push(version))
    store.subscribe(issues, () => {
      throw oops
    })
    store.transact(seed)
    store.transact((tx) => tx.insert(issues, issue(7, 'g', 'open', 1, 0, 1)))
    expect(heard).toEqual([1, 2])
    expect(errors.every(([error]) => error === oops)).toBe(true)
    expect(errors.map(([, source]) => source).sort()).toEqual(['issues', 'issues', 'open', 'open'])
    expect(store.version).toBe(2)
    const control = createStore({ views: VIEWS })
    control.transact(seed)
    control.transact((tx) => tx.insert(issues, issue(7, 'g', 'open', 1, 0, 1)))
    expectSameContents(store, control)
  })

  test('an unsubscribed listener hears nothing more, even of a commit already being delivered', () => {
    const { store } = setup()
    const heard: string[] = []
    const subscribersBefore = store.describe().subscribers
    const stopOpen = store.subscribe(open, (_d, v) => heard.push(`open@${v}`))
    const stopPartition = store.subscribe(byProject, (d, v) => heard.push(`project0@${v}:${d.length}`), 0)
    let stopLate = () => {}
    store.subscribe(issues, (_d, v) => {
      heard.push(`stopper@${v}`)
      stopLate()
    })
    stopLate = store.subscribe(issues, (_d, v) => heard.push(`late@${v}`))
    expect(store.describe().subscribers).toBe(subscribersBefore + 4)
    store.transact((tx) => tx.insert(issues, issue(7, 'g', 'open', 1, 0, 1)))
    expect(heard.sort()).toEqual(['open@2', 'project0@2:1', 'stopper@2'])
    stopOpen()
    stopPartition()
    expect(store.describe().subscribers).toBe(subscribersBefore + 1)
    heard.length = 0
    store.transact((tx) => tx.insert(issues, issue(8, 'h', 'open', 1, 0, 1)))
    expect(heard).toEqual(['stopper@3'])
  })

  test('a partition subscriber hears only the changes of its partition', () => {
    const { store } = setup()
    const heard: (readonly Change<Issue>[])[] = []
    store.subscribe(byProject, (diff) => heard.push(diff), 1)
    store.transact((tx) => tx.insert(issues, issue(7, 'g', 'open', 1, 0, 1)))
    store.transact((tx) => tx.update(issues, 4, { title: 'd2' }))
    expect(heard).toEqual([
      [
        { key: 4, row: issue(4, 'd', 'open', 9, 1, 5), weight: -1 },
        { key: 4, row: issue(4, 'd2', 'open', 9, 1, 5), weight: 1 },
      ],
    ])
  })
})

describe('store.version', () => {
  test('increases by one per non-empty transaction and only then', () => {
    const storage = memoryStorage()
    const store = createStore({ views: VIEWS, storage })
    expect(store.version).toBe(0)
    store.transact(seed)
    expect(store.version).toBe(1)
    store.transact(() => undefined)
    store.transact((tx) => {
      tx.insert(issues, issue(7, 'g', 'open', 1, 0, 1))
      tx.delete(issues, 7)
    })
    store.transact((tx) => tx.update(issues, 1, (d) => void (d.title = 'a')))
    expect(() => store.transact((tx) => tx.delete(issues, 99))).toThrow(MissingKeyError)
    expect(store.version).toBe(1)
    store.transact((tx) => tx.update(issues, 1, { priority: 4 }))
    expect(store.version).toBe(2)
    store.transact((tx) => {
      tx.insert(issues, issue(7, 'g', 'open', 1, 0, 1))
      tx.insert(issues, issue(8, 'h', 'open', 1, 0, 1))
    })
    expect(store.version).toBe(3)
    expect(storage.log.map((c) => c.version)).toEqual([1, 2, 3])
  })

  test('transact returns what its callback returns', () => {
    const store = createStore({ views: VIEWS })
    expect(store.transact(() => 42)).toBe(42)
    expect(store.transact((tx) => (seed(tx), 'seeded'))).toBe('seeded')
  })
})

// A collection that is empty when a transaction first touches it gets its new table built by the
// transaction (no pending record per row); the store adopts that table only when the step commits.
describe('a transaction into an empty collection', () => {
  /** Inserts, deletes, re-inserts, updates and upserts on both collections; returns what `tx.get` saw. */
  const churn = (tx: Transaction): unknown[] => {
    tx.insert(issues, [issue(1, 'a', 'open', 1, 0, 3), issue(2, 'b', 'open', 2, 0, 1), issue(3, 'c', 'closed', 1, 1, 2)])
    tx.insert(users, [
      { id: 1, name: 'ada' },
      { id: 2, name: 'bob' },
    ])
    tx.delete(issues, 2)
    const seen: unknown[] = [tx.get(issues, 2)]
    tx.update(issues, 1, { title: 'a2' })
    tx.update(issues, 3, (d) => {
      d.status = 'open'
    })
    tx.insert(issues, issue(2, 'b2', 'open', 2, 1, 4))
    tx.upsert(issues, [issue(3, 'c3', 'open', 1, 1, 2), issue(11, 'k', 'open', 2, 0, 0)])
    tx.delete(issues, 11)
    tx.upsert(users, { id: 2, name: 'bobby' })
    seen.push(tx.get(issues, 1), tx.get(issues, 2), tx.get(issues, 11), tx.get(users, 2))
    return seen
  }
  const other = { issue: issue(100, 'z', 'closed', 77, 3, -1), user: { id: 100, name: 'zoe' } }

  test('leaves the same rows, order, views and diffs as a transaction into a collection with rows', () => {
    const empty = setup(memoryStorage(), false)
    const held = setup(memoryStorage(), false)
    held.store.transact((tx) => {
      tx.insert(issues, other.issue)
      tx.insert(users, other.user)
    })
    for (const list of held.heard.values()) list.length = 0
    const seenEmpty = empty.store.transact(churn)
    expect(held.store.transact(churn)).toEqual(seenEmpty)
    expect(seenEmpty).toEqual([undefined, issue(1, 'a2', 'open', 1, 0, 3), issue(2, 'b2', 'open', 2, 1, 4), undefined, { id: 2, name: 'bobby' }])
    // Each key keeps the place of its first touch, a deleted and re-inserted one included.
    expect(empty.store.read(issues).map((i) => i.id)).toEqual([1, 2, 3])
    expect(empty.store.read(users)).toEqual([
      { id: 1, name: 'ada' },
      { id: 2, name: 'bobby' },
    ])
    held.store.transact((tx) => {
      tx.delete(issues, 100)
      tx.delete(users, 100)
    })
    // Every read, in its order (unordered views and collections included), but not the version.
    const contents = (store: Store) => reads(store).map(([name, , read]) => [name, read()])
    expect(contents(empty.store)).toEqual(contents(held.store))
    // The collections' diffs (views differ here: `other` ranks and joins beside churn's rows).
    const firstCommit = (heard: Heard) => ['issues', 'users'].map((name) => heard.get(name)![0]!.diff)
    expect(firstCommit(empty.heard)).toEqual(firstCommit(held.heard))
    // The adopted tables go on like any other.
    for (const { store } of [empty, held])
      store.transact((tx) => {
        tx.update(issues, 1, { status: 'closed' })
        tx.delete(issues, 3)
        tx.insert(issues, issue(12, 'l', 'open', 1, 2, 5))
        tx.update(users, 1, { name: 'ada2' })
      })
    expect(contents(empty.store)).toEqual(contents(held.store))
  })

  test('a duplicate or missing key fails as it does in a collection with rows, and the store stays as new', () => {
    const s = setup(memoryStorage(), false)
    const before = snapshot(s.store)
    const twice = (tx: Transaction) => tx.insert(issues, [issue(1, 'a', 'open', 1, 0, 3), issue(1, 'b', 'open', 1, 0, 3)])
    expect(thrown(() => s.store.transact(twice))).toMatchObject({ name: 'DuplicateKeyError', collection: 'issues', key: 1 })
    const missing = (tx: Transaction) => {
      tx.insert(issues, issue(1, 'a', 'open', 1, 0, 3))
      tx.update(issues, 2, { title: 'x' })
    }
    expect(thrown(() => s.store.transact(missing))).toMatchObject({ name: 'MissingKeyError', key: 2, operation: 'update' })
    const deletedTwice = (tx: Transaction) => {
      tx.insert(issues, issue(1, 'a', 'open', 1, 0, 3))
      tx.delete(issues, 1)
      tx.delete(issues, 1)
    }
    expect(thrown(() => s.store.transact(deletedTwice))).toMatchObject({ name: 'MissingKeyError', key: 1, operation: 'delete' })
    expectUnchanged(s, before)
    s.store.transact(seed)
    for (const list of s.heard.values()) list.length = 0
    expectRecovers(s)
  })

  test('rows inserted and deleted again in one transaction commit nothing', () => {
    const s = setup(memoryStorage(), false)
    const before = snapshot(s.store)
    s.store.transact((tx) => {
      tx.insert(issues, [issue(1, 'a', 'open', 1, 0, 3), issue(2, 'b', 'open', 1, 0, 3)])
      tx.delete(issues, 2)
      tx.delete(issues, 1)
    })
    expectUnchanged(s, before)
  })

  // With users holding rows, the step records an undo log; the issues table the transaction built for the
  // empty issues collection must not be adopted when the step fails.
  test.each(operatorFailures)('$what throws while the collection is empty and another is not: the collection stays empty', (failure) => {
    const s = setup(memoryStorage(), false)
    s.store.transact((tx) => tx.insert(users, { id: 1, name: 'ada' }))
    for (const list of s.heard.values()) list.length = 0
    const before = snapshot(s.store)
    const error = thrown(() =>
      s.store.transact((tx) => {
        tx.insert(issues, [issue(1, 'a', 'open', 1, 0, 3), issue(5, 'e', 'closed', 3, 2, 0)])
        failure.change(tx)
      }),
    )
    expect(error).toBeInstanceOf(OperatorError)
    expectUnchanged(s, before)
    expect(s.store.read(issues)).toEqual([])
  })
})

describe('tx.update', () => {
  test('an update that produces an equal row keeps the old row object and emits no diff', () => {
    const { store, heard } = setup()
    const description = store.describe()
    const rowBefore = store.get(open, 1)
    const openArray = store.read(open)
    const version = store.version
    store.transact((tx) => tx.update(issues, 1, { title: 'a' }))
    expect(store.get(open, 1)).toBe(rowBefore)
    expect(store.get(issues, 1)).toBe(rowBefore)
    expect(store.read(open)).toBe(openArray)
    expect(store.version).toBe(version)
    expect(store.describe()).toEqual(description)
    for (const [name, list] of heard) expect(list, name).toEqual([])
  })

  test('a changed field written back in the same transaction is no change, however it is written back', () => {
    const writeBacks: ((tx: Transaction, row: Issue) => void)[] = [
      (tx, row) => tx.update(issues, 1, { title: row.title }),
      (tx, row) => tx.upsert(issues, { ...row }),
      (tx, row) => {
        tx.delete(issues, 1)
        tx.insert(issues, { ...row })
      },
      (tx, row) => tx.update(issues, 1, (draft) => void (draft.title = row.title)),
    ]
    for (const writeBack of writeBacks) {
      const { store, heard } = setup()
      const rowBefore = store.get(issues, 1)!
      const version = store.version
      store.transact((tx) => {
        tx.update(issues, 1, { title: 'changed' })
        writeBack(tx, rowBefore)
      })
      expect(store.get(issues, 1)).toBe(rowBefore)
      expect(store.version).toBe(version)
      for (const [name, list] of heard) expect(list, name).toEqual([])
    }
  })

  test('a view whose row does not depend on the changed field keeps its row object and emits no diff', () => {
    const { store, heard } = setup()
    const ownerBefore = store.get(withOwner, [1, 1])
    const ownerArray = store.read(withOwner)
    store.transact((tx) => tx.update(issues, 1, { priority: 4 }))
    expect(store.get(withOwner, [1, 1])).toBe(ownerBefore)
    expect(store.read(withOwner)).toBe(ownerArray)
    expect(heard.get('withOwner')).toEqual([])
    expect(heard.get('open')).toHaveLength(1)
    expect(store.get(open, 1)).toEqual(issue(1, 'a', 'open', 1, 0, 4))
  })
})

describe('createStore on existing storage', () => {
  test('a store reopened on the same memoryStorage restores every view', () => {
    const storage = memoryStorage()
    const first = createStore({ views: VIEWS, storage })
    first.transact(seed)
    first.transact(bigChange)
    first.transact(followUp)
    const reopened = createStore({ views: VIEWS, storage })
    const control = createStore({ views: VIEWS })
    control.transact(seed)
    control.transact(bigChange)
    control.transact(followUp)
    expectSameContents(reopened, first)
    expect(reopened.version).toBe(3)
    // And it goes on from there like a store that never closed.
    const change = (tx: Transaction) => {
      tx.insert(issues, issue(9, 'j', 'open', 9, 3, 1))
      tx.delete(users, 9)
      tx.update(issues, 7, { projectId: 3 })
    }
    reopened.transact(change)
    control.transact(change)
    expectSameContents(reopened, control)
    expect(storage.log.map((c) => c.version)).toEqual([1, 2, 3, 4])
  })
})

describe('a failure after the views took the step', () => {
  // A key collision in a later view fails the step after the earlier views' sinks integrated it. Their
  // read order (keys in the order they were first written) must come back too, not only their rows.
  interface Row {
    readonly id: number
    readonly v: number
    readonly part: number
  }
  const rows = collection<Row>('orderRows', { key: 'id' })
  const all = view('orderAll', rows.filter(() => true))
  const byPart = view('orderByPart', rows.partitionBy((r) => r.part))
  const clash = view('orderClash', rows.map((r) => r, { key: (r) => (r.v === 5 ? 0 : r.id) }))
  const start: Row[] = [
    { id: 1, v: 0, part: 1 },
    { id: 2, v: 0, part: 2 },
    { id: 3, v: 5, part: 1 },
    { id: 4, v: 0, part: 3 },
    { id: 6, v: 0, part: 2 },
  ]
  const unread = collection<{ readonly id: number }>('orderUnread', { key: 'id' })
  const make = () => {
    const store = createStore({ views: [all, byPart, clash], collections: [unread] })
    store.transact((tx) => tx.insert(rows, start))
    return store
  }
  const ids = (store: Store) => ({ all: store.read(all).map((r) => r.id), byPart: store.read(byPart).map((r) => r.id) })

  test('leaves the read order of unordered and partitioned views as it was, and later commits order as usual', () => {
    const failed = make()
    const never = make()
    const error = thrown(() =>
      failed.transact((tx) => {
        tx.update(rows, 1, { v: 1 })
        tx.delete(rows, 4)
        tx.insert(rows, { id: 9, v: 0, part: 4 })
        tx.update(rows, 2, { v: 5 })
      }),
    )
    expect(error).toBeInstanceOf(KeyCollisionError)
    expect(ids(failed)).toEqual(ids(never))
    // Nothing of the failed step is settled at a later commit, one that no view reads or one that writes
    // a key the failed step did not.
    for (const store of [failed, never]) store.transact((tx) => tx.insert(unread, { id: 1 }))
    for (const store of [failed, never]) store.transact((tx) => tx.update(rows, 6, { v: 1 }))
    expect(ids(failed)).toEqual(ids(never))
    for (const store of [failed, never])
      store.transact((tx) => {
        tx.update(rows, 2, { v: 1 })
        tx.insert(rows, { id: 7, v: 0, part: 5 })
        tx.update(rows, 1, { v: 2 })
        tx.delete(rows, 6)
        tx.delete(rows, 4)
      })
    expect(ids(failed)).toEqual(ids(never))
    // Updated keys keep their places, new keys go to the end, deleted keys leave, and so does a partition
    // left empty (it comes back at the end).
    expect(ids(never)).toEqual({ all: [1, 2, 3, 7], byPart: [1, 3, 2, 7] })
    for (const store of [failed, never]) store.transact((tx) => tx.insert(rows, { id: 8, v: 0, part: 3 }))
    expect(ids(failed)).toEqual(ids(never))
    expect(ids(never).byPart).toEqual([1, 3, 2, 7, 8])
  })
})
