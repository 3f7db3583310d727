import { describe, test } from 'vitest'
import { view, type Key, type View } from '../src/index'
import { checkViews } from './check'
import { avg, count, max, min, reducer, sum } from './oracle'
import { GROUPS, headScenario, items, largeScenario, others, TAGS, teams, type Item } from './scenario'

/*
 * Each operator on its own, over random transaction sequences: the view equals recomputing it from
 * scratch after every step, and its subscribers' diffs take one result to the next (see check.ts).
 */

const check = (v: View<unknown, Key>, partitions?: readonly Key[]) => checkViews([v], partitions ? { partitions } : {})
const even = (i: Item) => i.v !== null && i.v % 2 === 0

describe('filter', () => {
  test('keeps exactly the rows the predicate holds for, as rows change in and out of it', () => {
    check(view('filter', items.filter(even)))
  })
})

describe('map', () => {
  test('transforms each row under its input key', () => {
    check(view('map', items.map((i) => ({ id: i.id, double: (i.v ?? 0) * 2, tag: i.tag }))))
  })

  test('re-keys rows by the given key', () => {
    check(view('mapKey', items.map((i) => ({ tag: i.tag, id: i.id }), { key: (r) => [r.tag, r.id] })))
  })
})

describe('flatMap', () => {
  test('keys the rows of each input row [inputKey, index], including none', () => {
    check(view('flatMap', items.flatMap((i) => Array.from({ length: (i.v ?? 0) % 3 }, (_, k) => ({ id: i.id, k, g: i.g })))))
  })

  test('keys rows by the given key', () => {
    const parts = (i: Item) => (i.v === null ? [] : [{ id: i.id, part: 'v', n: i.v }, { id: i.id, part: 'tag', n: i.tag.length }])
    check(view('flatMapKey', items.flatMap(parts, { key: (r) => [r.id, r.part] })))
  })
})

describe('union', () => {
  test('adds disjoint inputs, rows moving between sides included', () => {
    const rest = items.filter((i) => !even(i))
    const tagged = others.map((o) => o, { key: (o) => ['other', o.id] })
    check(view('union', items.filter(even).union(rest, tagged)))
  })
})

describe('except', () => {
  test('keeps the rows whose key is not a key of the other side', () => {
    check(view('except', items.except(others)))
  })

  test('keeps the rows of filtered sides whose key is not on the other side', () => {
    check(view('exceptFiltered', items.filter((i) => i.tag !== 'c').except(others.filter((o) => o.g !== null))))
  })
})

describe('join', () => {
  test('pairs each item with its team (many to one, null keys match nothing)', () => {
    check(view('join', items.join(teams, 'g', 'id')))
  })

  test('pairs each team with its items (one to many)', () => {
    check(view('joinOneToMany', teams.join(items, (t) => t.id, (i) => i.g)))
  })

  test('pairs rows with equal values (many to many)', () => {
    check(view('joinManyToMany', items.join(others, (i) => i.v, (o) => o.v)))
  })

  test('joins a relation with itself through one shared arrangement', () => {
    check(view('selfJoin', items.join(items, 'g', 'g')))
  })
})

describe('leftJoin', () => {
  test('pairs matched rows and pads unmatched left rows with undefined', () => {
    check(view('leftJoin', items.leftJoin(teams, 'g', 'id')))
  })

  test('pads teams whose items all leave, and unpads them when one comes back', () => {
    check(view('leftJoinOneToMany', teams.leftJoin(items, 'id', 'g')))
  })
})

describe('semiJoin', () => {
  test('keeps each left row with any match once, however many match', () => {
    check(view('semiJoin', teams.semiJoin(items, 'id', 'g')))
  })

  test('keeps items that have a team', () => {
    check(view('semiJoinManyToOne', items.semiJoin(teams, 'g', 'id')))
  })
})

describe('antiJoin', () => {
  test('keeps left rows without a match', () => {
    check(view('antiJoin', teams.antiJoin(items, 'id', 'g')))
  })

  test('keeps rows with a null join key, which match nothing', () => {
    check(view('antiJoinNull', items.antiJoin(teams, 'g', 'id')))
  })
})

describe('groupBy', () => {
  const byGroup = (name: string, aggregates: Parameters<typeof items.groupBy>[1]) =>
    view(name, items.groupBy((i) => i.g, aggregates))

  test('count: rows per group; groups appear and vanish with their rows', () => {
    check(byGroup('count', { n: count() }))
  })

  test('sum: total of the non-null values', () => {
    check(byGroup('sum', { total: sum((i: Item) => i.v) }))
  })

  test('avg: mean of the non-null values, null when there are none', () => {
    check(byGroup('avg', { mean: avg((i: Item) => i.v) }))
  })

  test('min: least non-null value, also after the least is deleted', () => {
    check(byGroup('min', { lo: min((i: Item) => i.v) }))
  })

  test('max: greatest non-null value, also after the greatest is deleted', () => {
    check(byGroup('max', { hi: max((i: Item) => i.v) }))
  })

  test('reducer: folds rows in and out', () => {
    const stats = reducer({
      initial: { n: 0, squares: 0 },
      add: (acc, i: Item) => ({ n: acc.n + 1, squares: acc.squares + (i.v ?? 0) ** 2 }),
      remove: (acc, i: Item) => ({ n: acc.n - 1, squares: acc.squares - (i.v ?? 0) ** 2 }),
    })
    check(byGroup('reducer', { stats }))
  })

  test('all aggregates at once over a tuple key, with min and max of strings', () => {
    const all = items.groupBy((i) => [i.g, i.v === null ? null : i.v % 2], {
      n: count(),
      total: sum((i) => i.v),
      mean: avg((i) => i.v),
      first: min((i) => i.tag),
      last: max((i) => i.tag),
      lo: min((i) => i.v),
      hi: max((i) => i.v),
    })
    check(view('allAggregates', all))
  })
})

describe('distinct', () => {
  test('without a key: each key once, when union sides overlap', () => {
    check(view('distinct', items.union(items.filter((i) => (i.v ?? 0) > 2)).distinct()))
  })

  test('with a key: rows projecting to the same key become one', () => {
    check(view('distinctKey', items.map((i) => ({ g: i.g, tag: i.tag })).distinct((r) => [r.g, r.tag])))
  })
})

describe('orderBy', () => {
  test('reads the rows in order, ties by key', () => {
    check(view('orderBy', items.orderBy((i) => i.v, 'desc')))
  })
})

describe('limit', () => {
  test('keeps the first n rows after the offset', () => {
    check(view('limitOffset', items.orderBy((i) => i.v).limit(3, 1)))
  })

  test('keeps a window of a descending order by a tuple', () => {
    check(view('limitTuple', items.orderBy((i) => [i.tag, i.v], 'desc').limit(4, { offset: 2 })))
  })

  test('keeps nothing with limit 0', () => {
    check(view('limitZero', items.orderBy((i) => i.v).limit(0)))
  })

  test('keeps the top n of every group with { per }', () => {
    check(view('topKPer', items.orderBy((i) => i.v, 'desc').limit(2, { per: (i) => i.g })))
  })

  test('keeps a window per group with { per, offset }', () => {
    check(view('topKPerOffset', items.orderBy((i) => i.v).limit(2, { per: (i) => i.tag, offset: 1 })))
  })
})

describe('ordered views and top-K after a large transaction (sorted in one go into an empty group)', () => {
  test('orderBy, limit with offset, a wide window, limit per group, ordered partitions and partitioned top-K', () => {
    checkViews(
      [
        view('bulkOrderBy', items.orderBy((i) => i.v, 'desc')),
        view('bulkLimit', items.orderBy((i) => i.v).limit(5, 2)),
        // A window of more rows than top-K matches old rows to new ones by scanning.
        view('bulkWide', items.orderBy((i) => i.v, 'desc').limit(40, 3)),
        view('bulkPer', items.orderBy((i) => [i.tag, i.v], 'desc').limit(3, { per: (i) => i.g })),
        view('bulkPartitioned', items.orderBy((i) => i.v).partitionBy((i) => i.tag)),
      ],
      { partitions: TAGS, scenario: largeScenario, numRuns: 40 },
    )
  })
})

describe('top-K over more rows than it first places (a head in the tree, the rest unsorted or in the table)', () => {
  test('ascending and descending windows as deletes drain the head and it loads again', () => {
    const valued = items.filter((i) => i.v !== null)
    checkViews(
      [
        view('headAsc', valued.orderBy((i) => i.v).limit(3)),
        view('headDescOffset', valued.orderBy((i) => i.v, 'desc').limit(2, { offset: 1 })),
        // Over the collection itself: the rest is read from its table (TableHead), not held by the top-K.
        view('headTableAsc', items.orderBy((i) => i.v ?? 99).limit(3)),
        view('headTableDesc', items.orderBy((i) => i.v ?? -1, 'desc').limit(2, { offset: 1 })),
      ],
      { scenario: headScenario, numRuns: 3, shrink: false },
    )
  })
})

// The large transaction puts dozens of items under each group: index keys grow past the array tier of an
// arrangement (a map from the ninth row key on), and later steps shrink them again.
describe('joins after a large transaction (index keys with many rows)', () => {
  test('join, one-to-many join, left join and anti join by group', () => {
    checkViews(
      [
        view('bulkJoin', items.join(teams, 'g', 'id')),
        view('bulkOneToMany', teams.join(items, (t) => t.id, (i) => i.g)),
        view('bulkLeftJoin', teams.leftJoin(items, (t) => t.id, (i) => i.g)),
        view('bulkAntiJoin', teams.antiJoin(items, (t) => t.id, (i) => i.g)),
      ],
      { scenario: largeScenario, numRuns: 40 },
    )
  })
})

describe('partitionBy', () => {
  test('reads and notifies each partition of its own rows, rows moving between partitions included', () => {
    check(view('partitioned', items.partitionBy((i) => i.g)), GROUPS)
  })

  test('reads each partition of an ordered view in order', () => {
    check(view('partitionedOrdered', items.orderBy((i) => i.v).partitionBy((i) => i.tag)), TAGS)
  })

  test('reads the top-K of each group as its partition', () => {
    check(view('partitionedTopK', items.orderBy((i) => i.v, 'desc').limit(2, { per: (i) => i.g }).partitionBy((i) => i.g)), GROUPS)
  })
})
