import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { collection, count, createStore, OperatorError, view, type Change } from '../src/index'

interface Task {
  readonly id: number
  readonly owner: number
  readonly done: boolean
}
interface Owner {
  readonly id: number
  readonly name: string
}

const tasks = collection<Task>('tasks', { key: 'id' })
const owners = collection<Owner>('owners', { key: 'id' })
const open = tasks.filter((t) => !t.done)
const openPerOwner = () => open.join(owners, 'owner', 'id').groupBy(([, o]) => o.name, { n: count() })

const byKey = <T extends { key: unknown }>(rows: readonly T[]) => [...rows].sort((a, b) => String(a.key).localeCompare(String(b.key)))

const op = fc.record({ id: fc.integer({ min: 0, max: 12 }), owner: fc.integer({ min: 0, max: 3 }), done: fc.boolean(), kind: fc.constantFrom('task', 'owner', 'delete') })

describe('store.addView / removeView', () => {
  test('a view added to a running store equals the same view maintained from the start, before and after more transactions', () => {
    fc.assert(
      fc.property(fc.array(fc.array(op, { minLength: 1, maxLength: 4 }), { minLength: 2, maxLength: 12 }), fc.nat(), (steps, at) => {
        const fromStart = view('fromStart', openPerOwner())
        const added = view('added', openPerOwner())
        const shared = view('shared', open)
        const store = createStore({ views: [fromStart, shared] })
        const addAt = at % steps.length
        steps.forEach((changes, n) => {
          if (n === addAt) store.addView(added)
          store.transact((tx) => {
            for (const c of changes) {
              if (c.kind === 'owner') tx.upsert(owners, { id: c.owner, name: `o${c.owner % 2}` })
              else if (c.kind === 'delete') {
                if (tx.get(tasks, c.id)) tx.delete(tasks, c.id)
              } else tx.upsert(tasks, { id: c.id, owner: c.owner, done: c.done })
            }
          })
          if (n >= addAt) expect(byKey(store.read(added))).toEqual(byKey(store.read(fromStart)))
        })
      }),
      { numRuns: 100 },
    )
  })

  test('removing a view frees its operators and silences its subscribers; it can be added again', () => {
    const base = view('base', open)
    const extra = view('extra', openPerOwner())
    const store = createStore({ views: [base] })
    store.transact((tx) => {
      tx.insert(owners, { id: 1, name: 'ada' })
      tx.insert(tasks, [{ id: 1, owner: 1, done: false }])
    })
    const operators = store.describe().operators.length
    store.addView(extra)
    expect(store.read(extra)).toEqual([{ key: 'ada', n: 1 }])
    expect(store.describe().operators.length).toBeGreaterThan(operators)
    const heard: (readonly Change<unknown>[])[] = []
    store.subscribe(extra, (diff) => heard.push(diff))
    store.removeView(extra)
    expect(store.hasView(extra)).toBe(false)
    expect(store.describe().operators.length).toBe(operators)
    expect(store.describe().subscribers).toBe(0)
    store.transact((tx) => tx.insert(tasks, { id: 2, owner: 1, done: false }))
    expect(heard).toEqual([])
    expect(() => store.read(extra)).toThrow(/not in this store/)
    store.addView(extra)
    expect(store.read(extra)).toEqual([{ key: 'ada', n: 2 }])
    expect(store.read(base)).toHaveLength(2)
  })

  test('a view whose function throws on the current rows is not added, and the store is unchanged', () => {
    const base = view('base', open)
    const store = createStore({ views: [base] })
    store.transact((tx) => tx.insert(tasks, [{ id: 1, owner: 1, done: false }]))
    const before = store.describe()
    const bad = view('bad', tasks.map((t) => {
      if (t.id === 1) throw new Error('boom')
      return t
    }))
    expect(() => store.addView(bad)).toThrow(OperatorError)
    expect(store.hasView(bad)).toBe(false)
    expect(store.describe()).toEqual(before)
    store.transact((tx) => tx.insert(tasks, { id: 2, owner: 1, done: false }))
    expect(store.read(base)).toHaveLength(2)
  })

  test('a view over a collection the store did not hold yet starts empty and follows it', () => {
    const store = createStore({ views: [view('base', open)] })
    const names = view('names', owners.map((o) => o.name))
    store.addView(names)
    expect(store.read(names)).toEqual([])
    store.transact((tx) => tx.insert(owners, { id: 7, name: 'grace' }))
    expect(store.read(names)).toEqual(['grace'])
  })
})
