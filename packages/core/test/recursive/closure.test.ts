import Database from 'better-sqlite3'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { createStore, view, type Change } from '../../src/index'
import { edgeKey, naiveClosure, reachability, sortReach, squaredReachability, type Edge, type Reach } from './graphs'

const NODES = 7

/** A random sequence of transactions, each inserting absent edges and deleting present ones. */
const script = fc.array(
  fc.array(fc.record({ from: fc.integer({ min: 0, max: NODES - 1 }), to: fc.integer({ min: 0, max: NODES - 1 }) }), {
    minLength: 1,
    maxLength: 4,
  }),
  { minLength: 1, maxLength: 25 },
)

describe('recursive: transitive closure', () => {
  test.each([
    ['linear (reach ⋈ edges)', reachability],
    ['non-linear (reach ⋈ reach)', squaredReachability],
  ])('%s equals a naive fixpoint and SQLite WITH RECURSIVE after every step, cycles and self-loops included', (_name, define) => {
    const db = new Database(':memory:')
    db.exec('CREATE TABLE edges (src INTEGER, dst INTEGER, PRIMARY KEY (src, dst))')
    const insert = db.prepare('INSERT INTO edges VALUES (?, ?)')
    const remove = db.prepare('DELETE FROM edges WHERE src = ? AND dst = ?')
    const closure = db.prepare(`
      WITH RECURSIVE reach(src, dst) AS (
        SELECT src, dst FROM edges
        UNION
        SELECT reach.src, edges.dst FROM reach JOIN edges ON reach.dst = edges.src)
      SELECT src AS "from", dst AS "to" FROM reach ORDER BY src, dst`)
    fc.assert(
      fc.property(script, (steps) => {
        db.exec('DELETE FROM edges')
        const { edges, reach } = define()
        const reachView = view('reach', reach)
        const store = createStore({ views: [reachView] })
        let materialized = new Map<string, Reach>()
        store.subscribe(reachView, (diff: readonly Change<Reach>[]) => {
          const next = new Map(materialized)
          for (const c of diff) {
            const id = `${c.row.from},${c.row.to}`
            if (c.weight > 0) next.set(id, c.row)
            else expect(next.delete(id)).toBe(true)
          }
          materialized = next
        })
        for (const toggles of steps) {
          store.transact((tx) => {
            for (const e of toggles) {
              if (tx.get(edges, edgeKey(e))) {
                tx.delete(edges, edgeKey(e))
                remove.run(e.from, e.to)
              } else {
                tx.insert(edges, e)
                insert.run(e.from, e.to)
              }
            }
          })
          const expected = sortReach(naiveClosure(store.read(edges) as Edge[]))
          expect(sortReach(store.read(reachView))).toEqual(expected)
          expect(sortReach([...materialized.values()])).toEqual(expected)
          expect(closure.all()).toEqual(expected)
        }
      }),
      { numRuns: 150 },
    )
  })

  test('deleting the edge that closes a cycle removes exactly what depended on it', () => {
    const { edges, reach } = reachability()
    const reachView = view('reach', reach)
    const store = createStore({ views: [reachView] })
    store.transact((tx) => tx.insert(edges, [{ from: 1, to: 2 }, { from: 2, to: 3 }, { from: 3, to: 1 }]))
    expect(store.read(reachView)).toHaveLength(9)
    store.transact((tx) => tx.delete(edges, '3>1'))
    expect(sortReach(store.read(reachView))).toEqual([
      { from: 1, to: 2 },
      { from: 1, to: 3 },
      { from: 2, to: 3 },
    ])
  })
})
