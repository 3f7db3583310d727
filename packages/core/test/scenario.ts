import fc from 'fast-check'
import { collection, type Collection, type Transaction } from '../src/index'

/*
 * Random transaction sequences over three small collections, and the check that every view of a store
 * agrees with the oracle after every step. Domains are small on purpose: a handful of groups, values and
 * teams make joins match, groups collide, extremes tie and top-K windows shift on most steps.
 */

export interface Item {
  readonly id: number
  readonly g: number | null
  readonly v: number | null
  readonly tag: string
}

export interface Team {
  readonly id: number
  readonly name: string
  readonly size: number
}

/** Items: grouped by `g` (null for no group), valued by `v`, joined to teams on `g = id`. */
export const items = collection<Item>('items', { key: 'id' })
/** Rows shaped like items, over the same ids, so `except` and `union` have keys in common or not. */
export const others = collection<Item>('others', { key: (o) => o.id })
/** Teams 0–4; team 4 never has items, names repeat so grouping by name merges teams. */
export const teams = collection<Team>('teams', { key: 'id' })

/** Every value `Item.g` can take, for reading and subscribing per partition. */
export const GROUPS: readonly (number | null)[] = [null, 0, 1, 2, 3]
/** Every value `Item.tag` can take. */
export const TAGS: readonly string[] = ['a', 'b', 'c']

type ItemFields = Omit<Item, 'id'>
type TeamFields = Omit<Team, 'id'>

/** How a write reaches the store: each one also works on a key that is absent (it becomes an insert). */
type Via = 'insert' | 'upsert' | 'patch' | 'recipe'

type Target =
  | { readonly coll: 'items' | 'others'; readonly id: number; readonly fields: Partial<ItemFields> }
  | { readonly coll: 'teams'; readonly id: number; readonly fields: Partial<TeamFields> }

/** One change a generated transaction makes; resolved against the rows as the transaction sees them. */
export type Intent =
  | { readonly kind: 'write'; readonly via: Via; readonly target: Target }
  | { readonly kind: 'delete'; readonly coll: Target['coll']; readonly id: number }
  /** An update that changes nothing: same values through a patch, a recipe or an upsert. */
  | { readonly kind: 'touch'; readonly via: 'patch' | 'recipe' | 'upsert'; readonly coll: Target['coll']; readonly id: number }
  /** Delete and insert again under the same key, in one transaction. */
  | { readonly kind: 'reinsert'; readonly target: Target }
  /** Delete the item with the least or greatest `v` (ties: least id) of group `g`, or of all items. */
  | { readonly kind: 'deleteExtreme'; readonly which: 'min' | 'max'; readonly g: number | null | 'any' }

export interface Scenario {
  readonly initial: readonly Intent[]
  readonly steps: readonly (readonly Intent[])[]
}

const group = fc.option(fc.integer({ min: 0, max: 3 }), { nil: null, freq: 6 })
const value = fc.option(fc.integer({ min: 0, max: 5 }), { nil: null, freq: 8 })
const itemFields = { g: group, v: value, tag: fc.constantFrom(...TAGS) }
const teamFields = { name: fc.constantFrom('x', 'y'), size: fc.integer({ min: 0, max: 3 }) }
// Mostly a few hot keys, so one transaction often changes the same key twice.
const itemId = fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 19 }))
const teamId = fc.integer({ min: 0, max: 4 })

const target: fc.Arbitrary<Target> = fc.oneof(
  fc.record({
    coll: fc.constantFrom('items' as const, 'items' as const, 'others' as const),
    id: itemId,
    fields: fc.record(itemFields, { requiredKeys: [] }),
  }),
  fc.record({ coll: fc.constant('teams' as const), id: teamId, fields: fc.record(teamFields, { requiredKeys: [] }) }),
)

const anyKey = target.map(({ coll, id }) => ({ coll, id }))

const intent: fc.Arbitrary<Intent> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('write' as const), via: fc.constantFrom<Via>('insert', 'upsert', 'patch', 'recipe'), target }) },
  { weight: 3, arbitrary: anyKey.map((k) => ({ kind: 'delete' as const, ...k })) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('touch' as const), via: fc.constantFrom('patch' as const, 'recipe' as const, 'upsert' as const) }).chain((t) => anyKey.map((k) => ({ ...t, ...k }))) },
  { weight: 1, arbitrary: target.map((t) => ({ kind: 'reinsert' as const, target: t })) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('deleteExtreme' as const),
      which: fc.constantFrom('min' as const, 'max' as const),
      g: fc.oneof(group, fc.constant('any' as const)),
    }),
  },
)

const fullItem = (id: number) => fc.record({ id: fc.constant(id), ...itemFields })

/** A first transaction loading 1–20 items, some teams and others, then 1–8 transactions of 1–6 changes. */
export const scenario: fc.Arbitrary<Scenario> = fc.record({
  initial: fc
    .tuple(
      fc.uniqueArray(fc.integer({ min: 0, max: 19 }), { minLength: 1, maxLength: 20 }),
      fc.uniqueArray(teamId, { maxLength: 5 }),
      fc.uniqueArray(fc.integer({ min: 0, max: 19 }), { maxLength: 8 }),
    )
    .chain(([itemIds, teamIds, otherIds]) =>
      fc.tuple(
        fc.tuple(...itemIds.map(fullItem)),
        fc.tuple(...teamIds.map((id) => fc.record({ id: fc.constant(id), ...teamFields }))),
        fc.tuple(...otherIds.map(fullItem)),
      ),
    )
    .map(([is, ts, os]): Intent[] => [
      ...is.map(({ id, ...fields }) => insert({ coll: 'items', id, fields })),
      ...ts.map(({ id, ...fields }) => insert({ coll: 'teams', id, fields })),
      ...os.map(({ id, ...fields }) => insert({ coll: 'others', id, fields })),
    ]),
  steps: fc.array(fc.array(intent, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 8 }),
})

/**
 * Like `scenario`, but one transaction inserts 64–300 items at once (the size from which ordered views
 * and top-K sort a delta into an empty group in one go): the first transaction of an empty store, or the
 * second, after one that inserted teams (so the store is not empty and the bulk path must be undone
 * like any other when the step fails).
 */
export const largeScenario: fc.Arbitrary<Scenario> = fc
  .tuple(
    fc.uniqueArray(fc.integer({ min: 0, max: 599 }), { minLength: 64, maxLength: 300 }).chain((ids) => fc.tuple(...ids.map(fullItem))),
    fc.uniqueArray(teamId, { maxLength: 3 }),
    fc.array(fc.array(intent, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 6 }),
  )
  .map(([is, teamIds, steps]) => {
    const big = is.map(({ id, ...fields }) => insert({ coll: 'items', id, fields }))
    const first = teamIds.map((id) => insert({ coll: 'teams', id, fields: {} }))
    return first.length > 0 ? { initial: first, steps: [big, ...steps] } : { initial: big, steps }
  })

/**
 * A first transaction of 1,400 items, more rows than a top-K places in its tree at first (`LOAD_MIN`),
 * then 50 transactions of 40 changes that mostly delete the item of least value (of greatest, less
 * often): they drain the placed head of an ascending top-K over items with a value, so it loads more rows
 * from the rest, and change rows around it.
 */
export const headScenario: fc.Arbitrary<Scenario> = fc
  .tuple(
    fc.tuple(...Array.from({ length: 1400 }, (_, id) => fullItem(id))),
    fc.array(
      fc.array(
        fc.oneof(
          { weight: 10, arbitrary: fc.constant<Intent>({ kind: 'deleteExtreme', which: 'min', g: 'any' }) },
          { weight: 3, arbitrary: fc.constant<Intent>({ kind: 'deleteExtreme', which: 'max', g: 'any' }) },
          { weight: 2, arbitrary: intent },
        ),
        { minLength: 40, maxLength: 40 },
      ),
      { minLength: 50, maxLength: 50 },
    ),
  )
  .map(([is, steps]) => ({ initial: is.map(({ id, ...fields }) => insert({ coll: 'items', id, fields })), steps }))

const insert = (t: Target): Intent => ({ kind: 'write', via: 'insert', target: t })

/** The rows the store should hold: the model the oracle evaluates over. */
export class Model {
  readonly items = new Map<number, Item>()
  readonly others = new Map<number, Item>()
  readonly teams = new Map<number, Team>()

  inputs(): Map<string, unknown[]> {
    return new Map<string, unknown[]>([
      ['items', [...this.items.values()]],
      ['others', [...this.others.values()]],
      ['teams', [...this.teams.values()]],
    ])
  }

  /** Makes `change` through `tx` and records what it should leave behind. */
  apply(tx: Transaction, change: Intent): void {
    switch (change.kind) {
      case 'write':
        return this.#write(tx, change.via, change.target)
      case 'delete':
        return this.#remove(tx, change.coll, change.id)
      case 'touch':
        return this.#touch(tx, change.coll, change.id, change.via)
      case 'reinsert':
        this.#remove(tx, change.target.coll, change.target.id)
        return this.#write(tx, 'insert', change.target)
      case 'deleteExtreme': {
        const sign = change.which === 'min' ? 1 : -1
        const [chosen] = [...this.items.values()]
          .filter((i) => i.v !== null && (change.g === 'any' || i.g === change.g))
          .sort((a, b) => sign * ((a.v ?? 0) - (b.v ?? 0)) || a.id - b.id)
        if (chosen) remove(tx, items, this.items, chosen.id)
        return
      }
    }
  }

  #write(tx: Transaction, via: Via, t: Target): void {
    if (t.coll === 'teams') write<Team>(tx, teams, this.teams, via, { id: t.id, name: 'x', size: 0, ...t.fields }, t.fields)
    else write<Item>(tx, t.coll === 'items' ? items : others, this[t.coll], via, { id: t.id, g: 0, v: 0, tag: 'a', ...t.fields }, t.fields)
  }

  #remove(tx: Transaction, name: Target['coll'], id: number): void {
    if (name === 'teams') remove(tx, teams, this.teams, id)
    else remove(tx, name === 'items' ? items : others, this[name], id)
  }

  #touch(tx: Transaction, name: Target['coll'], id: number, via: 'patch' | 'recipe' | 'upsert'): void {
    if (name === 'teams') touch(tx, teams, this.teams, id, via)
    else touch(tx, name === 'items' ? items : others, this[name], id, via)
  }
}

/** Writes `row` under its id, or with patch and recipe on a present row, only `fields` over it. */
function write<T extends { readonly id: number }>(
  tx: Transaction,
  coll: Collection<T>,
  rows: Map<number, T>,
  via: Via,
  row: T,
  fields: Partial<T>,
): void {
  const current = rows.get(row.id)
  if (current === undefined) {
    if (via === 'upsert' || via === 'recipe') tx.upsert(coll, row)
    else tx.insert(coll, row)
    rows.set(row.id, row)
    return
  }
  switch (via) {
    case 'insert':
    case 'upsert':
      tx.upsert(coll, row)
      rows.set(row.id, row)
      return
    case 'patch':
    case 'recipe': {
      const next = { ...current, ...fields }
      if (via === 'patch') tx.update(coll, row.id, fields)
      else tx.update(coll, row.id, (draft) => void Object.assign(draft, fields))
      rows.set(row.id, next)
      return
    }
  }
}

function remove<T>(tx: Transaction, coll: Collection<T>, rows: Map<number, T>, id: number): void {
  if (!rows.has(id)) return
  tx.delete(coll, id)
  rows.delete(id)
}

function touch<T extends { readonly id: number }>(tx: Transaction, coll: Collection<T>, rows: Map<number, T>, id: number, via: 'patch' | 'recipe' | 'upsert'): void {
  const current = rows.get(id)
  if (current === undefined) return
  if (via === 'patch') tx.update(coll, id, {})
  else if (via === 'recipe') tx.update(coll, id, (draft) => void Object.assign(draft, current))
  else tx.upsert(coll, { ...current })
}
