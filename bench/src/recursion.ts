/**
 * The recursion benchmark: a forest of reply threads, and the recursive "descendants with depth" view
 * the comments app renders. Measures its build, the latency of inserting and deleting one reply, and a
 * from-scratch recompute of the same view in plain JS.
 */
import { collection, createStore, recursive, view } from '@stepping/core'
import { collectGarbage, consume, heapAfterGc, median, now, percentile } from './measure'
import { Prng } from './prng'

interface Comment {
  readonly id: number
  readonly parentId: number | null
}

interface Descendant {
  readonly ancestor: number
  readonly id: number
  readonly depth: number
}

export const MAX_DEPTH = 50
const THREAD = 100

/**
 * n comments in threads of ~100: each reply answers the previous comment (a chain deepens) or a random
 * earlier comment of its thread, never deeper than MAX_DEPTH.
 */
export function forest(n: number, seed: number): { comments: Comment[]; depth: Map<number, number> } {
  const rng = new Prng(seed)
  const comments: Comment[] = []
  const depth = new Map<number, number>()
  let threadStart = 0
  for (let id = 0; id < n; id++) {
    if (id - threadStart >= THREAD || id === 0) {
      threadStart = id
      comments.push({ id, parentId: null })
      depth.set(id, 0)
      continue
    }
    let parent = rng.chance(0.4) ? id - 1 : threadStart + rng.int(id - threadStart)
    while (depth.get(parent)! >= MAX_DEPTH) parent = comments[parent]!.parentId!
    comments.push({ id, parentId: parent })
    depth.set(id, depth.get(parent)! + 1)
  }
  return { comments, depth }
}

const comments = collection<Comment>('comments', { key: 'id' })
const key = (d: Descendant) => [d.ancestor, d.id]
const descendants = view(
  'descendants',
  recursive(
    comments.map((c): Descendant => ({ ancestor: c.id, id: c.id, depth: 0 }), { key }),
    (self) => self.join(comments, 'id', 'parentId').map(([d, c]): Descendant => ({ ancestor: d.ancestor, id: c.id, depth: d.depth + 1 }), { key }),
  ),
)

/** From scratch: walk up from every comment to its root. */
export function scratchDescendants(all: ReadonlyMap<number, Comment>): Descendant[] {
  const out: Descendant[] = []
  for (const c of all.values()) {
    let depth = 0
    for (let a: Comment | undefined = c; a !== undefined; a = a.parentId === null ? undefined : all.get(a.parentId))
      out.push({ ancestor: a.id, id: c.id, depth: depth++ })
  }
  return out
}

export interface RecursionResult {
  readonly comments: number
  readonly rows: number
  readonly maxDepth: number
  readonly buildMs: number
  readonly heapMB: number
  readonly insert: { readonly median: number; readonly p99: number }
  readonly remove: { readonly median: number; readonly p99: number }
  readonly scratchBuildMs: number
  readonly scratchRecomputeMs: number
}

export function runRecursion(n: number, replies: number, seed: number): RecursionResult {
  const { comments: rows, depth } = forest(n, seed)
  collectGarbage()
  const heapBefore = heapAfterGc()
  const t0 = now()
  const store = createStore({ views: [descendants] })
  store.transact((tx) => tx.insert(comments, rows))
  const buildMs = now() - t0
  const heapMB = (heapAfterGc() - heapBefore) / 2 ** 20

  const rng = new Prng(seed ^ 0x9e3779b9)
  const inserts: number[] = []
  const removes: number[] = []
  let nextId = n
  for (let k = 0; k < replies; k++) {
    let parent = rng.int(n)
    while (depth.get(parent)! >= MAX_DEPTH) parent = rows[parent]!.parentId!
    const reply = { id: nextId++, parentId: parent }
    let t = now()
    store.transact((tx) => tx.insert(comments, reply))
    inserts.push((now() - t) * 1000)
    t = now()
    store.transact((tx) => tx.delete(comments, reply.id))
    removes.push((now() - t) * 1000)
  }

  const all = new Map(rows.map((c) => [c.id, c]))
  let t = now()
  const expected = scratchDescendants(all)
  const scratchBuildMs = now() - t
  const samples: number[] = []
  for (let k = 0; k < 5; k++) {
    t = now()
    consume(scratchDescendants(all).length)
    samples.push(now() - t)
  }
  verify(store.read(descendants), expected)
  return {
    comments: n,
    rows: expected.length,
    maxDepth: Math.max(...depth.values()),
    buildMs,
    heapMB,
    insert: { median: median(inserts), p99: percentile(inserts, 0.99) },
    remove: { median: median(removes), p99: percentile(removes, 0.99) },
    scratchBuildMs,
    scratchRecomputeMs: median(samples),
  }
}

function verify(actual: readonly Descendant[], expected: readonly Descendant[]): void {
  const id = (d: Descendant) => `${d.ancestor}/${d.id}/${d.depth}`
  const want = new Set(expected.map(id))
  const mismatch = actual.length !== expected.length || actual.some((d) => !want.has(id(d)))
  if (mismatch) throw new Error(`recursion benchmark: the descendants view (${actual.length} rows) differs from the from-scratch result (${expected.length} rows)`)
}

export function recursionMarkdown(r: RecursionResult): string {
  const f = (x: number) => (x >= 100 ? x.toFixed(0) : x.toPrecision(3))
  const speedup = (us: number) => `${Math.round((r.scratchRecomputeMs * 1000) / us).toLocaleString('en-US')}×`
  return [
    `${r.comments.toLocaleString('en-US')} comments in threads of ~${THREAD}, depth up to ${r.maxDepth}; the view holds ${r.rows.toLocaleString('en-US')} (ancestor, descendant, depth) rows.`,
    '',
    '| | stepping | from scratch (plain JS) |',
    '| --- | ---: | ---: |',
    `| build | ${f(r.buildMs)} ms, ${f(r.heapMB)} MB heap | ${f(r.scratchBuildMs)} ms |`,
    `| insert one reply: median / p99 | ${f(r.insert.median)} / ${f(r.insert.p99)} µs (${speedup(r.insert.median)} faster) | ${f(r.scratchRecomputeMs)} ms |`,
    `| delete one reply: median / p99 | ${f(r.remove.median)} / ${f(r.remove.p99)} µs (${speedup(r.remove.median)} faster) | ${f(r.scratchRecomputeMs)} ms |`,
  ].join('\n')
}
