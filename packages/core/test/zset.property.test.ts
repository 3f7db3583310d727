import fc from 'fast-check'
import { isDeepStrictEqual } from 'node:util'
import { describe, expect, test } from 'vitest'
import { keyId, type Key } from '../src/key'
import { Arrangement } from '../src/operators/arrangement'
import { InputOperator } from '../src/operators/input'
import { collection } from '../src/index'
import { UndoLog } from '../src/undo'
import { change, deepEqual, eachSlotRow, KeyedZSet } from '../src/zset'

/*
 * Keyed state holds a key's lone row of weight 1 bare (no entry object) and an entry otherwise, moving
 * between the two as changes add up. Checked against a model that keeps every (key, row, weight) as a
 * list: after every change the state holds the same rows with the same weights, and a rolled-back batch
 * of changes leaves it exactly as before. The keys and rows include what must never be held bare: −0,
 * strings that need encoding, tuples, array rows and primitive rows.
 */

const keys: Key[] = [1, 2, -0, 'a', '\u0000b', ['t', 1], true, null]
const rows: unknown[] = [{ v: 1 }, { v: 2 }, { v: 1, w: [1] }, [1, 2], 7, 'text']

interface Op {
  readonly key: Key
  readonly row: unknown
  readonly weight: number
}

/** Rows are drawn fresh each time, so equal rows are usually different objects (held by deepEqual). */
const op = fc.record({
  key: fc.constantFrom(...keys),
  row: fc.nat(rows.length - 1).map((i) => structuredClone(rows[i])),
  weight: fc.constantFrom(1, 1, -1, 2),
})

type Model = Map<string, { key: Key; row: unknown; weight: number }[]>

function addToModel(model: Model, { key, row, weight }: Op): void {
  const id = JSON.stringify(keyId(key))
  const list = model.get(id) ?? []
  const at = list.findIndex((r) => deepEqual(r.row, row))
  if (at < 0) list.push({ key, row, weight })
  else if ((list[at]!.weight += weight) === 0) list.splice(at, 1)
  if (list.length === 0) model.delete(id)
  else model.set(id, list)
}

type Triple = [string, string, number]

/** Every (key id, row, weight) held, sorted: keys by their id, so −0 and 0 are one key. */
function triples(each: (fn: (key: Key, row: unknown, weight: number) => void) => void): Triple[] {
  const out: Triple[] = []
  each((key, row, weight) => out.push([JSON.stringify(keyId(key)), JSON.stringify(row), weight]))
  return out.sort((a, b) => (a.join() < b.join() ? -1 : 1))
}

const modelTriples = (model: Model): Triple[] =>
  triples((fn) => {
    for (const list of model.values()) for (const r of list) fn(r.key, r.row, r.weight)
  })

interface Subject {
  add(op: Op, undo: UndoLog): void
  contents(): Triple[]
  size(): number
  weight(): number
}

function keyedSet(): Subject {
  const set = new KeyedZSet<unknown>()
  return {
    add: ({ key, row, weight }, undo) => set.add(key, keyId(key), row, weight, undo),
    contents: () =>
      triples((fn) => {
        for (const [id, slot] of set.slots) eachSlotRow(id, slot, fn)
      }),
    size: () => set.size,
    weight: () => set.weight,
  }
}

/** An arrangement holding every row under index key 1: one of the keys, so its rows are held bare when alone. */
function arrangement(): Arrangement {
  return new Arrangement(new InputOperator(collection<object>('rows', { key: () => 0 }).source), () => 1)
}

/** Adds one change to what `a` holds, in a step of its own. */
function arrange(a: Arrangement, key: Key, row: unknown, weight: number, undo: UndoLog): void {
  a.step([[change(key, row, weight)]])
  a.flush(undo)
}

/** Every (key, row, weight) `a` holds under index key 1. */
function arranged(a: Arrangement): Triple[] {
  return triples((fn) => {
    a.each(1, fn)
  })
}

function arrangementRows(): Subject {
  const a = arrangement()
  return {
    add: ({ key, row, weight }, undo) => arrange(a, key, row, weight, undo),
    contents: () => arranged(a),
    size: () => a.stateSize(),
    weight: () => a.weightAt(1),
  }
}

describe.each([
  ['KeyedZSet', keyedSet],
  ['an arrangement under one index key', arrangementRows],
])('%s', (_name, make) => {
  test('holds the rows and weights a list model holds, after every change and every rollback', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.array(op, { minLength: 1, maxLength: 6 }), fc.boolean()), { maxLength: 40 }), (batches) => {
        const subject = make()
        const model: Model = new Map()
        for (const [batch, rollBack] of batches) {
          const before = subject.contents()
          const undo = new UndoLog()
          const trial: Model = new Map([...model].map(([id, list]) => [id, list.map((r) => ({ ...r }))]))
          for (const change of batch) {
            subject.add(change, undo)
            addToModel(trial, change)
            expect(subject.contents()).toEqual(modelTriples(trial))
            expect(subject.size()).toBe(trial.size)
          }
          if (rollBack) {
            undo.rollback()
            expect(subject.contents()).toEqual(before)
          } else {
            undo.clear()
            for (const change of batch) addToModel(model, change)
          }
          expect(subject.size()).toBe(model.size)
          let total = 0
          for (const list of model.values()) for (const r of list) total += r.weight
          expect(subject.weight()).toBe(total)
        }
      }),
    )
  })
})

test('an arrangement: a rollback gives back the key of its one row, after a new key took the place of an emptied one', () => {
  // Found by the property above (seed 220349996), when a group object held the rows: the rollback
  // restored the row but left the new key's id, so the next change to the old key was taken for a second key.
  const a = arrangement()
  arrange(a, 1, { v: 2 }, 1, new UndoLog())
  const undo = new UndoLog()
  arrange(a, 1, { v: 2 }, -1, undo)
  arrange(a, 2, { v: 1 }, 1, undo)
  undo.rollback()
  arrange(a, 1, { v: 2 }, 1, new UndoLog())
  expect(a.stateSize()).toBe(1)
  expect(arranged(a)).toEqual([['1', '{"v":2}', 2]])
})

test('a lone object row of weight 1 under a key that is its own id is held bare, and only then', () => {
  const set = new KeyedZSet<unknown>()
  const row = { v: 1 }
  const held = (key: Key, r: unknown, weight = 1) => {
    set.add(key, keyId(key), r, weight, new UndoLog())
    return set.slots.get(keyId(key))
  }
  expect(held(1, row)).toBe(row)
  for (const key of ['a', true, null]) expect(held(key, row)).toBe(row)
  // −0 is held under 0 by a Map, and these two are encoded: the key could not be read back from the id.
  for (const key of [-0, '\u0000b', ['t', 1]]) expect(held(key, row)).not.toBe(row)
  expect(held(2, [1])).not.toEqual([1])
  expect(held(3, row, 2)).not.toBe(row)
  // Back to one row of weight 1: bare again.
  expect(held(3, row, -1)).toBe(row)
})

/*
 * deepEqual is checked against Node's `isDeepStrictEqual` (primitives by `Object.is`, plain objects and
 * arrays member by member, dates by time) on values full of what a faster comparison gets wrong: −0 and 0,
 * NaN, a member undefined or missing, and a member named and valued like one every object inherits
 * (`toString`), which a missing member reads as.
 */
const leaf = fc.constantFrom<unknown>(0, -0, NaN, 1, 'a', '', true, null, undefined, new Date(0), new Date(1), Object.prototype.toString)
const member = fc.constantFrom('a', 'b', 'toString')
const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    leaf,
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(member, tie('value'), { maxKeys: 3, noNullPrototype: true }),
  ),
}))

/** A copy down to the leaves (structuredClone cannot copy a function). */
function copy(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(copy)
  if (v instanceof Date) return new Date(v.getTime())
  if (typeof v !== 'object' || v === null) return v
  return Object.fromEntries(Object.entries(v).map(([k, m]) => [k, copy(m)]))
}

/** Two values: drawn apart (mostly unequal), or one with a copy (equal) that may have one member changed. */
const pair = fc.oneof(
  fc.tuple(value, value),
  value.map((v) => [v, copy(v)] as const),
  fc.tuple(fc.dictionary(member, value, { minKeys: 1, maxKeys: 3, noNullPrototype: true }), member, value).map(([v, k, m]) => {
    const changed = copy(v) as Record<string, unknown>
    changed[k] = m
    return [v, changed] as const
  }),
)

test('deepEqual agrees with isDeepStrictEqual', () => {
  fc.assert(
    fc.property(pair, ([a, b]) => {
      expect(deepEqual(a, b)).toBe(isDeepStrictEqual(a, b))
      expect(deepEqual(b, a)).toBe(isDeepStrictEqual(a, b))
    }),
    {
      numRuns: 3000,
      // Each special case once for sure, besides the random draws.
      examples: [
        [[0, -0]],
        [[[-0], [0]]],
        [[{ a: NaN }, { a: NaN }]],
        [[{ a: undefined }, { b: undefined }]],
        [[{ toString: Object.prototype.toString }, { a: 1 }]],
      ],
    },
  )
})
