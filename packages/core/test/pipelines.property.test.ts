import { describe, test } from 'vitest'
import { view, type Key, type View } from '../src/index'
import { checkViews } from './check'
import { count, max, min, sum } from './oracle'
import { GROUPS, items, teams } from './scenario'

/*
 * Operators composed, over random transaction sequences: each view equals recomputing it from scratch
 * after every step, and its subscribers' diffs take one result to the next (see check.ts).
 */

const check = (views: View<unknown, Key>[], partitions?: readonly Key[]) =>
  checkViews(views, partitions ? { partitions } : {})

describe('filter → join → groupBy', () => {
  test('aggregates the joined rows of each team name', () => {
    const perName = items
      .filter((i) => i.tag !== 'c')
      .join(teams, 'g', 'id')
      .groupBy(([, t]) => t.name, { n: count(), total: sum(([i]) => i.v), biggest: max(([, t]) => t.size) })
    check([view('filterJoinGroupBy', perName)])
  })
})

describe('join → distinct', () => {
  test('keeps each (team, tag) projection of the joined rows once', () => {
    const pairs = items
      .join(teams, 'g', 'id')
      .map(([i, t]) => ({ team: t.name, tag: i.tag }))
      .distinct((r) => [r.team, r.tag])
    check([view('joinDistinctKey', pairs)])
  })

  test('keeps every joined pair once without a key', () => {
    check([view('joinDistinct', items.join(teams, 'g', 'id').distinct())])
  })
})

describe('leftJoin → groupBy', () => {
  test('groups matched and unmatched rows alike, unmatched under null', () => {
    const perTeam = items
      .leftJoin(teams, 'g', 'id')
      .groupBy(([, t]) => t?.name ?? null, { n: count(), lo: min(([i]) => i.v), size: sum(([, t]) => t?.size) })
    check([view('leftJoinGroupBy', perTeam)])
  })
})

describe('groupBy → orderBy / limit', () => {
  const perGroup = items.groupBy((i) => i.g, { n: count(), total: sum((i) => i.v) })

  test('reads the groups in order of their aggregates', () => {
    check([view('groupByOrderBy', perGroup.orderBy((r) => r.total, 'desc'))])
  })

  test('keeps the top groups as their aggregates move', () => {
    check([view('groupByLimit', perGroup.orderBy((r) => [r.total, r.n], 'desc').limit(2))])
  })

  test('keeps a window of groups after an offset', () => {
    check([view('groupByLimitOffset', perGroup.orderBy((r) => r.n).limit(2, 1))])
  })
})

describe('groupBy → join', () => {
  test('joins each group to its team as both change', () => {
    const perGroup = items.groupBy((i) => i.g, { n: count(), hi: max((i) => i.v) })
    check([view('groupByJoin', perGroup.join(teams, (r) => r.key, 'id'))])
  })
})

describe('join → orderBy → limit', () => {
  test('keeps the top joined rows, per team and in all', () => {
    const joined = items.join(teams, 'g', 'id').orderBy(([i, t]) => [t.size, i.v], 'desc')
    check([view('joinTopK', joined.limit(3)), view('joinTopKPerTeam', joined.limit(1, { per: ([, t]) => t.id }))])
  })
})

describe('join → filter / map chains (fused into the join)', () => {
  const joined = items.join(teams, 'g', 'id')

  test('a filter and a map with its own key, then a map that keeps that key', () => {
    const chain = joined
      .filter(([i, t]) => i.tag !== 'c' || t.size > 2)
      .map(([i, t]) => ({ id: i.id, team: t.name, v: i.v }), { key: (r) => r.id })
      .map((r) => ({ ...r, big: (r.v ?? 0) > 5 }))
      .filter((r) => r.team !== 'x')
    check([view('fused.chain', chain)])
  })

  test('a map without a key keeps the pair key', () => {
    check([view('fused.pairKey', joined.map(([i, t]) => ({ item: i.id, team: t.id, tag: i.tag })).filter((r) => r.tag !== 'b'))])
  })

  test('views reading the join itself and chains over it, in both orders', () => {
    const filtered = joined.filter(([i]) => i.tag === 'a')
    const mapped = filtered.map(([i, t]) => ({ id: i.id, name: t.name }), { key: (r) => r.id })
    check([view('fused.first', mapped), view('fused.join', joined), view('fused.filtered', filtered)])
    check([view('fused.join2', joined), view('fused.filtered2', filtered), view('fused.mapped2', mapped)])
  })
})

describe('views sharing one store', () => {
  test('views that share plan nodes and arrangements each stay right', () => {
    const open = items.filter((i) => i.tag !== 'c')
    const withTeam = open.join(teams, 'g', 'id')
    check(
      [
        view('shared.join', withTeam),
        view('shared.left', open.leftJoin(teams, 'g', 'id')),
        view('shared.semi', open.semiJoin(teams, 'g', 'id')),
        view('shared.anti', open.antiJoin(teams, 'g', 'id')),
        view('shared.count', withTeam.groupBy(([, t]) => t.id, { n: count() })),
        view('shared.top', open.orderBy((i) => i.v, 'desc').limit(2, { per: (i) => i.g }).partitionBy((i) => i.g)),
      ],
      GROUPS,
    )
  })
})
