import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { collection, createStore, recursive, view, OperatorError, RecursionLimitError } from '../../src/index'
import { comments, descendants, subtreeReplies, threadRoot, type Comment, type Descendant } from './comments'

/** From scratch: walk up from every comment. */
function naiveDescendants(all: readonly Comment[]): Descendant[] {
  const byId = new Map(all.map((c) => [c.id, c]))
  const out: Descendant[] = []
  for (const c of all) {
    let depth = 0
    for (let a: Comment | undefined = c; a; a = a.parentId === null ? undefined : byId.get(a.parentId))
      out.push({ ancestor: a.id, id: c.id, depth: depth++ })
  }
  return out
}

const sorted = <T extends { id: number }>(rows: readonly T[], by: (r: T) => number = () => 0): T[] =>
  [...rows].sort((a, b) => by(a) - by(b) || a.id - b.id)

/** Random forest edits: add a reply under an existing comment (or a new root), delete a leaf, or move a subtree. */
const edit = fc.record({ kind: fc.constantFrom('add', 'add', 'add', 'delete', 'move'), pick: fc.nat(), pick2: fc.nat() })

describe('recursive: comment trees', () => {
  test('descendants with depth, thread roots and subtree reply counts match a from-scratch walk after every edit', () => {
    fc.assert(
      fc.property(fc.array(fc.array(edit, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 30 }), (steps) => {
        const views = { d: view('descendants', descendants), r: view('roots', threadRoot), s: view('replies', subtreeReplies) }
        const store = createStore({ views: [views.d, views.r, views.s] })
        let next = 1
        for (const edits of steps) {
          store.transact((tx) => {
            for (const { kind, pick, pick2 } of edits) {
              // Rows as this transaction sees them, so two moves in one transaction cannot make a cycle.
              const live = store.read(comments).flatMap((c) => tx.get(comments, c.id) ?? [])
              const target = live.length ? live[pick % live.length] : undefined
              if (kind === 'add' || !target) {
                const parent = target && pick2 % 4 !== 0 ? target.id : null
                tx.insert(comments, { id: next++, parentId: parent, postId: 1 })
              } else if (kind === 'delete') {
                if (!live.some((c) => tx.get(comments, c.id)?.parentId === target.id)) tx.delete(comments, target.id)
              } else {
                // Move under a comment outside target's subtree (so the forest stays a forest), or to the top.
                const inside = new Set(naiveDescendants(live).filter((d) => d.ancestor === target.id).map((d) => d.id))
                const outside = live.filter((c) => !inside.has(c.id))
                const parent = outside.length && pick2 % 3 !== 0 ? outside[pick2 % outside.length]!.id : null
                tx.update(comments, target.id, { parentId: parent })
              }
            }
          })
          const all = store.read(comments)
          const expected = naiveDescendants(all)
          const key = (d: Descendant) => d.ancestor * 10_000 + d.id
          expect([...store.read(views.d)].sort((a, b) => key(a) - key(b))).toEqual([...expected].sort((a, b) => key(a) - key(b)))
          const roots = expected.filter((d) => all.find((c) => c.id === d.ancestor)!.parentId === null)
          expect(sorted(store.read(views.r))).toEqual(sorted(roots.map((d) => ({ id: d.id, root: d.ancestor }))))
          const counts = new Map<number, number>()
          for (const d of expected) if (d.depth > 0) counts.set(d.ancestor, (counts.get(d.ancestor) ?? 0) + 1)
          expect([...store.read(views.s)].sort((a, b) => a.key - b.key)).toEqual(
            [...counts].sort((a, b) => a[0] - b[0]).map(([key, replies]) => ({ key, replies })),
          )
        }
      }),
      { numRuns: 100 },
    )
  })

  test('a reply changes only its own rows and its ancestors’ counts', () => {
    const d = view('descendants', descendants)
    const s = view('replies', subtreeReplies)
    const store = createStore({ views: [d, s] })
    store.transact((tx) =>
      tx.insert(comments, [
        { id: 1, parentId: null, postId: 1 },
        { id: 2, parentId: 1, postId: 1 },
        { id: 3, parentId: 2, postId: 1 },
        { id: 4, parentId: 1, postId: 1 },
      ]),
    )
    const diffs: unknown[] = []
    store.subscribe(s, (diff) => diffs.push(...diff))
    store.transact((tx) => tx.insert(comments, { id: 5, parentId: 3, postId: 1 }))
    expect(store.read(d).filter((r) => r.id === 5)).toHaveLength(4)
    expect(diffs).toEqual(
      expect.arrayContaining([
        { key: 1, row: { key: 1, replies: 3 }, weight: -1 },
        { key: 1, row: { key: 1, replies: 4 }, weight: 1 },
        { key: 2, row: { key: 2, replies: 1 }, weight: -1 },
        { key: 2, row: { key: 2, replies: 2 }, weight: 1 },
        { key: 3, row: { key: 3, replies: 1 }, weight: 1 },
      ]),
    )
    expect(diffs).toHaveLength(5)
  })
})

describe('recursive: divergence and rollback', () => {
  interface N {
    readonly n: number
  }

  test('a step that keeps making new rows fails with RecursionLimitError naming the view, and rolls back', () => {
    const seeds = collection<N>('seeds', { key: 'n' })
    const counting = view('counting', recursive(seeds, (self) => self.map((r) => ({ n: r.n + 1 }), { key: (r) => r.n }), { maxIterations: 50 }))
    const plain = view('plain', seeds.filter(() => true))
    const store = createStore({ views: [plain, counting] })
    let error: unknown
    try {
      store.transact((tx) => tx.insert(seeds, { n: 0 }))
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(RecursionLimitError)
    expect((error as RecursionLimitError).message).toContain("'counting'")
    expect((error as RecursionLimitError).message).toContain('50 iterations')
    expect(store.read(plain)).toEqual([])
    expect(store.read(counting)).toEqual([])
    expect(store.version).toBe(0)
  })

  test('a throwing function inside the body rolls the nested state back exactly', () => {
    const before = view('descendants', descendants)
    const failing = view(
      'failing',
      recursive(
        comments.map((c) => ({ ancestor: c.id, id: c.id, depth: 0 }), { key: (x) => [x.ancestor, x.id] }),
        (self) =>
          self.join(comments, 'id', 'parentId').map(([x, c]) => {
            if (c.id === 99) throw new Error('no 99s')
            return { ancestor: x.ancestor, id: c.id, depth: x.depth + 1 }
          }, { key: (x) => [x.ancestor, x.id] }),
      ),
    )
    const store = createStore({ views: [before, failing] })
    store.transact((tx) => tx.insert(comments, [{ id: 1, parentId: null, postId: 1 }, { id: 2, parentId: 1, postId: 1 }]))
    const snapshot = store.read(before)
    const state = store.describe().operators.map((o) => o.state)
    expect(() => store.transact((tx) => tx.insert(comments, [{ id: 3, parentId: 2, postId: 1 }, { id: 99, parentId: 3, postId: 1 }]))).toThrow(
      OperatorError,
    )
    expect(store.read(before)).toBe(snapshot)
    expect(store.describe().operators.map((o) => o.state)).toEqual(state)
    store.transact((tx) => tx.insert(comments, { id: 3, parentId: 2, postId: 1 }))
    expect(store.read(failing).filter((x) => x.id === 3).map((x) => x.ancestor).sort()).toEqual([1, 2, 3])
  })
})
