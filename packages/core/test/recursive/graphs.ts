import { collection, recursive } from '../../src/index'

/** A directed edge of a test graph; ids are `${from}>${to}`. */
export interface Edge {
  readonly from: number
  readonly to: number
}

/** A pair (from, to) such that `to` is reachable from `from` by one or more edges. */
export interface Reach {
  readonly from: number
  readonly to: number
}

export const edgeKey = (e: Edge): string => `${e.from}>${e.to}`

export function reachability() {
  const edges = collection<Edge>('edges', { key: edgeKey })
  const reach = recursive(
    edges.map((e): Reach => ({ from: e.from, to: e.to }), { key: (r) => [r.from, r.to] }),
    (self) => self.join(edges, 'to', 'from').map(([r, e]): Reach => ({ from: r.from, to: e.to }), { key: (r) => [r.from, r.to] }),
  )
  return { edges, reach }
}

/** Transitive closure computed the naive way: iterate until nothing new appears. */
export function naiveClosure(edges: readonly Edge[]): Reach[] {
  const pairs = new Set(edges.map((e) => `${e.from},${e.to}`))
  for (let grew = true; grew; ) {
    grew = false
    for (const p of [...pairs]) {
      const [from, mid] = p.split(',').map(Number) as [number, number]
      for (const e of edges)
        if (e.from === mid && !pairs.has(`${from},${e.to}`)) {
          pairs.add(`${from},${e.to}`)
          grew = true
        }
    }
  }
  return [...pairs].map((p) => {
    const [from, to] = p.split(',').map(Number) as [number, number]
    return { from, to }
  })
}

export const sortReach = (rows: readonly Reach[]): Reach[] =>
  rows.map((r) => ({ from: r.from, to: r.to })).sort((a, b) => a.from - b.from || a.to - b.to)

/** The same closure by non-linear recursion (reach ⋈ reach): both join sides depend on `self`. */
export function squaredReachability() {
  const edges = collection<Edge>('edges', { key: edgeKey })
  const reach = recursive(
    edges.map((e): Reach => ({ from: e.from, to: e.to }), { key: (r) => [r.from, r.to] }),
    (self) => self.join(self, 'to', 'from').map(([a, b]): Reach => ({ from: a.from, to: b.to }), { key: (r) => [r.from, r.to] }),
  )
  return { edges, reach }
}
