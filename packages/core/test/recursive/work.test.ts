import { describe, expect, test } from 'vitest'
import { createStore, view, type Store, type View } from '../../src/index'
import { comments, descendants, type Comment, type Descendant } from './comments'

/**
 * A ternary tree of n comments: comment i replies to comment ⌊(i − 1) / 3⌋, so the tree of 1,000 is a
 * prefix of the tree of 10,000 and a comment has the same ancestors in both.
 *
 *            0
 *      1     2     3
 *    4 5 6 7 8 9 …
 */
function tree(n: number): { store: Store; d: View<Descendant> } {
  const d = view('descendants', descendants)
  const store = createStore({ views: [d] })
  const rows: Comment[] = []
  for (let i = 0; i < n; i++) rows.push({ id: i, parentId: i === 0 ? null : Math.floor((i - 1) / 3), postId: 1 })
  store.transact((tx) => tx.insert(comments, rows))
  return { store, d }
}

/** Rows touched by the recursive operator during one transaction, and the size of the view's diff. */
function measure(store: Store, d: View<Descendant>, fn: Parameters<Store['transact']>[0]): { work: number; changed: number } {
  const work = () => store.describe().operators.find((o) => o.kind === 'recursive')!.work!
  let changed = 0
  const stop = store.subscribe(d, (diff) => (changed += diff.length))
  const before = work()
  store.transact(fn)
  stop()
  return { work: work() - before, changed }
}

describe('recursive: work per change', () => {
  test('a reply costs the same in a tree of 10,000 comments as in one of 1,000', () => {
    const small = tree(1_000)
    const large = tree(10_000)
    const reply = { id: 20_000, parentId: 500, postId: 1 }
    const a = measure(small.store, small.d, (tx) => tx.insert(comments, reply))
    const b = measure(large.store, large.d, (tx) => tx.insert(comments, reply))
    // Comment 500 has 7 ancestors (166, 55, 18, 5, 1, 0, and itself): the reply adds one row per ancestor
    // and one for itself.
    expect(a.changed).toBe(8)
    expect(b).toEqual(a)
    const c = measure(small.store, small.d, (tx) => tx.delete(comments, 20_000))
    const e = measure(large.store, large.d, (tx) => tx.delete(comments, 20_000))
    expect(c.changed).toBe(8)
    expect(e).toEqual(c)
  })

  test('moving or deleting a subtree touches rows in proportion to the rows that change', () => {
    const { store, d } = tree(10_000)
    const ratios: number[] = []
    for (const id of [9_000, 1_000, 300, 40]) {
      const moved = measure(store, d, (tx) => tx.update(comments, id, { parentId: 2 }))
      expect(moved.changed).toBeGreaterThan(0)
      ratios.push(moved.work / moved.changed)
    }
    const leaf = measure(store, d, (tx) => tx.delete(comments, 9_999))
    ratios.push(leaf.work / leaf.changed)
    // Each change's work is a small multiple of the rows it changes (the view holds ~90,000 rows).
    for (const r of ratios) expect(r).toBeLessThan(8)
  })
})
