import { describe, expect, test } from 'vitest'
import { collection } from '../src/index'
import { avg, count, evaluate, max, min, sortByOrder, sum } from './oracle'

// The oracle is the reference the property tests trust, so it is itself checked on small cases worked out
// by hand.

interface Row {
  readonly id: number
  readonly g: number | null
  readonly v: number | null
}
interface Team {
  readonly id: number
  readonly name: string
}

const rows = collection<Row>('rows', { key: 'id' })
const teams = collection<Team>('teams', { key: 'id' })
const inputs = new Map<string, unknown[]>([
  [
    'rows',
    [
      { id: 1, g: 1, v: 5 },
      { id: 2, g: 1, v: null },
      { id: 3, g: 2, v: 1 },
      { id: 4, g: null, v: 3 },
    ],
  ],
  [
    'teams',
    [
      { id: 1, name: 'x' },
      { id: 3, name: 'y' },
    ],
  ],
])

describe('evaluate', () => {
  test('joins pairs keyed [leftKey, rightKey]; a null join key matches nothing', () => {
    expect(evaluate(rows.join(teams, 'g', 'id').plan, inputs)).toStrictEqual([
      { key: [1, 1], row: [{ id: 1, g: 1, v: 5 }, { id: 1, name: 'x' }] },
      { key: [2, 1], row: [{ id: 2, g: 1, v: null }, { id: 1, name: 'x' }] },
    ])
  })

  test('pads unmatched left rows keyed [leftKey]', () => {
    const keys = evaluate(rows.leftJoin(teams, 'g', 'id').plan, inputs).map((e) => e.key)
    expect(keys).toStrictEqual([[1, 1], [2, 1], [3], [4]])
  })

  test('semi- and anti-joins keep each left row once', () => {
    expect(evaluate(teams.semiJoin(rows, 'id', 'g').plan, inputs).map((e) => e.key)).toStrictEqual([1])
    expect(evaluate(teams.antiJoin(rows, 'id', 'g').plan, inputs).map((e) => e.key)).toStrictEqual([3])
  })

  test('groups with count, sum, avg, min and max, skipping null values', () => {
    const plan = rows.groupBy((r) => r.g, { n: count(), total: sum((r) => r.v), mean: avg((r) => r.v), lo: min((r) => r.v), hi: max((r) => r.v) }).plan
    expect(evaluate(plan, inputs).map((e) => e.row)).toStrictEqual([
      { key: 1, n: 2, total: 5, mean: 5, lo: 5, hi: 5 },
      { key: 2, n: 1, total: 1, mean: 1, lo: 1, hi: 1 },
      { key: null, n: 1, total: 3, mean: 3, lo: 3, hi: 3 },
    ])
  })

  test('gives avg, min and max of a group without values as null', () => {
    const plan = rows.filter((r) => r.v === null).groupBy((r) => r.g, { mean: avg((r) => r.v), lo: min((r) => r.v) }).plan
    expect(evaluate(plan, inputs).map((e) => e.row)).toStrictEqual([{ key: 1, mean: null, lo: null }])
  })

  test('limits after sorting by value, ties by key, per group when asked', () => {
    const ordered = rows.orderBy((r) => r.g, 'desc')
    expect(evaluate(ordered.limit(2, 1).plan, inputs).map((e) => e.key)).toStrictEqual([1, 2])
    expect(evaluate(ordered.limit(1, { per: (r) => r.g }).plan, inputs).map((e) => e.key)).toStrictEqual([3, 1, 4])
  })

  test('sorts null before numbers ascending', () => {
    const order = rows.orderBy((r) => r.v).order
    expect(sortByOrder(evaluate(rows.plan, inputs), order).map((e) => e.key)).toStrictEqual([2, 3, 4, 1])
  })

  test('keys flatMap rows [inputKey, index] and removes by key with except', () => {
    const spread = rows.flatMap((r) => (r.g === 1 ? ['a', 'b'] : []))
    expect(evaluate(spread.plan, inputs).map((e) => e.key)).toStrictEqual([[1, 0], [1, 1], [2, 0], [2, 1]])
    expect(evaluate(rows.except(rows.filter((r) => r.v === null)).plan, inputs).map((e) => e.key)).toStrictEqual([1, 3, 4])
  })

  test('distinct with a key keeps one row per key', () => {
    const plan = rows.map((r) => ({ g: r.g })).distinct((r) => r.g).plan
    expect(evaluate(plan, inputs)).toStrictEqual([
      { key: 1, row: { g: 1 } },
      { key: 2, row: { g: 2 } },
      { key: null, row: { g: null } },
    ])
  })
})
