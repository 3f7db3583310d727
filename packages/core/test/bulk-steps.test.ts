import { describe, expect, test } from 'vitest'
import { collection, createStore, view, type Key, type Store, type View } from '../src/index'
import { BULK_STEP } from '../src/zset'
import { canon, count, evaluate } from './oracle'

/*
 * Steps of `BULK_STEP` or more input changes make their changes as object literals (`bulkChange`), the
 * others by a constructor. The property tests' transactions stay far below that size, so these steps
 * run here: a build, an update of every row, a failed step, a delete of half the rows, and single-row
 * changes after them, each view checked against the oracle after each.
 */

interface Item {
  readonly id: number
  readonly team: number
  readonly v: number
  readonly fail?: boolean
}
interface Team {
  readonly id: number
  readonly name: string
}

const items = collection<Item>('items', { key: 'id' })
const teams = collection<Team>('teams', { key: 'id' })

const N = BULK_STEP + 1_000
const TEAMS = 200

const views: readonly View<unknown, Key>[] = [
  // join + fused map: one change per pair, keyed by the map.
  view('named', items.join(teams, 'team', 'id').map(([i, t]) => ({ id: i.id, v: i.v, name: t.name }), { key: (r) => r.id })),
  // join without stages: pairs under key pairs.
  view('pairs', items.join(teams, 'team', 'id')),
  // a map over the collection itself.
  view('doubled', items.map((i) => ({ id: i.id, twice: 2 * i.v }), { key: (r) => r.id })),
  // a group-by with more groups than BULK_STEP, so that its output is bulk too.
  view('buckets', items.groupBy((i) => i.id % (BULK_STEP + 500), { n: count() })),
  // throws on a marked row, after the others have taken the step.
  view(
    'checked',
    items.filter((i) => {
      if (i.fail === true) throw new Error('marked row')
      return true
    }),
  ),
]

/** A seeded generator (mulberry32), so that a failure repeats. */
function random(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function expectAsOracle(store: Store, model: Map<number, Item>, teamRows: readonly Team[], when: string): void {
  const inputs = new Map<string, readonly unknown[]>([
    ['items', [...model.values()]],
    ['teams', teamRows],
  ])
  for (const v of views) {
    const got = store.read(v).map(canon).sort()
    const want = evaluate(v.plan, inputs)
      .map((e) => canon(e.row))
      .sort()
    expect(got.length, `${v.name} rows ${when}`).toBe(want.length)
    expect(got, `${v.name} ${when}`).toEqual(want)
  }
}

describe('steps of BULK_STEP or more changes', () => {
  test('a build, an update of every row, a failed step, a bulk delete and single rows give the oracle results', () => {
    const next = random(0xb01c)
    const teamRows: Team[] = Array.from({ length: TEAMS }, (_, id) => ({ id, name: `team ${id}` }))
    const model = new Map<number, Item>()
    for (let id = 0; id < N; id++) model.set(id, { id, team: Math.floor(next() * (TEAMS + 20)), v: Math.floor(next() * 100) })
    const store = createStore({ views })

    store.transact((tx) => {
      tx.insert(teams, teamRows)
      tx.insert(items, [...model.values()])
    })
    expectAsOracle(store, model, teamRows, 'after the build')

    store.transact((tx) => {
      for (const item of model.values()) {
        const changed = { ...item, v: item.v + 1 + Math.floor(next() * 5), team: next() < 0.3 ? Math.floor(next() * TEAMS) : item.team }
        tx.update(items, item.id, changed)
        model.set(item.id, changed)
      }
    })
    expectAsOracle(store, model, teamRows, 'after updating every row')

    expect(() =>
      store.transact((tx) => {
        for (const item of model.values()) tx.update(items, item.id, { v: item.v - 7 })
        tx.update(items, 17, { fail: true })
      }),
    ).toThrow('marked row')
    expectAsOracle(store, model, teamRows, 'after a failed bulk step')

    store.transact((tx) => {
      for (const id of [...model.keys()]) {
        if (next() < 0.5) continue
        tx.delete(items, id)
        model.delete(id)
      }
    })
    expectAsOracle(store, model, teamRows, 'after deleting half the rows')

    for (let k = 0; k < 40; k++) {
      const id = Math.floor(next() * N)
      const row = model.get(id)
      store.transact((tx) => {
        if (row === undefined) tx.insert(items, { id, team: Math.floor(next() * TEAMS), v: 1 })
        else if (k % 3 === 0) tx.delete(items, id)
        else tx.update(items, id, { v: row.v + 1 })
      })
      if (row === undefined) model.set(id, store.get(items, id)!)
      else if (k % 3 === 0) model.delete(id)
      else model.set(id, { ...row, v: row.v + 1 })
    }
    expectAsOracle(store, model, teamRows, 'after single-row changes')
  })
})
