import * as engine from '../src/index'
import { compareValues, keyId, type Aggregate, type Key, type KeyId, type Order, type Plan, type Selector } from '../src/index'

/** One row of a relation as the oracle computes it: the row and the key it is held under. */
export interface Keyed {
  readonly key: Key
  readonly row: unknown
}

/**
 * The reference semantics of a plan: its full output over `inputs` (rows per collection name), computed
 * from scratch with nested loops and sorts. It keeps no state and shares no code with the engine beyond
 * `keyId` and `compareValues`, which define what "the same key" and "in order" mean. A recursive plan is
 * iterated naively to its fixpoint. Output order is unspecified; `sortByOrder` puts it in a view's order.
 */
export function evaluate(plan: Plan, inputs: ReadonlyMap<string, readonly unknown[]>): Keyed[] {
  return evaluateIn(plan, inputs, new Map())
}

/** `evaluate` with the current value of each recursive variable in scope. */
function evaluateIn(plan: Plan, inputs: ReadonlyMap<string, readonly unknown[]>, variables: ReadonlyMap<symbol, readonly Keyed[]>): Keyed[] {
  const sub = (p: Plan, vars = variables) => evaluateIn(p, inputs, vars)
  switch (plan.kind) {
    case 'input': {
      const rows = inputs.get(plan.source.name) ?? []
      return rows.map((row) => ({ key: plan.source.key(row), row }))
    }
    case 'filter':
      return sub(plan.input).filter((e) => plan.fn(e.row))
    case 'map':
      return sub(plan.input).map((e) => {
        const row = plan.fn(e.row)
        return { key: plan.key ? plan.key(row) : e.key, row }
      })
    case 'flatMap': {
      const out: Keyed[] = []
      for (const e of sub(plan.input)) {
        const rows = [...plan.fn(e.row)]
        rows.forEach((row, index) => out.push({ key: plan.key ? plan.key(row) : [e.key, index], row }))
      }
      return out
    }
    case 'union':
      return plan.inputs.flatMap((input) => sub(input))
    case 'except': {
      const right = new Set(sub(plan.right).map((e) => keyId(e.key)))
      return sub(plan.left).filter((e) => !right.has(keyId(e.key)))
    }
    case 'join':
      return join(plan.mode, sub(plan.left), sub(plan.right), plan.leftKey, plan.rightKey)
    case 'groupBy': {
      const out: Keyed[] = []
      for (const { key, rows } of groups(sub(plan.input), plan.key)) {
        const row: Record<string, unknown> = { key }
        for (const [name, aggregate] of Object.entries(plan.aggregates)) row[name] = aggregateOf(aggregate, rows)
        out.push({ key, row })
      }
      return out
    }
    case 'distinct': {
      const rekeyed = sub(plan.input).map((e) => (plan.key ? { key: plan.key(e.row), row: e.row } : e))
      const seen = new Set<KeyId>()
      return rekeyed.filter((e) => {
        const id = keyId(e.key)
        if (seen.has(id)) return false
        seen.add(id)
        return true
      })
    }
    case 'orderBy':
      return sub(plan.input)
    case 'variable': {
      const value = variables.get(plan.id)
      if (value === undefined) throw new Error('the oracle met a recursive variable outside its recursive()')
      return [...value]
    }
    case 'recursive': {
      // Naive iteration from the empty relation: result = distinct(seed ∪ body(result)) until it repeats.
      const seed = sub(plan.seed)
      let result: Keyed[] = []
      for (let i = 0; i <= plan.maxIterations; i++) {
        const body = sub(plan.body, new Map([...variables, [plan.variable, result]]))
        const next = distinctByContent([...seed, ...body])
        if (sameContent(next, result)) return result
        result = next
      }
      throw new Error(`the oracle found no fixpoint in ${plan.maxIterations} iterations`)
    }
    case 'limit': {
      const sorted = sortByOrder(sub(plan.input), plan.order)
      const per = plan.per
      const window = (rows: Keyed[]) => rows.slice(plan.offset, plan.offset + plan.limit)
      if (per === undefined) return window(sorted)
      return groups(sorted, (row) => per(row)).flatMap((g) => window(g.rows))
    }
  }
}

/** A content string of a value: equal for deeply equal values, whatever the order of their fields. */
export function canon(value: unknown): string {
  if (value === undefined) return 'undefined'
  if (Array.isArray(value)) return `[${value.map(canon).join(',')}]`
  if (typeof value === 'object' && value !== null) {
    const fields = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1))
    return `{${fields.map(([k, v]) => `${JSON.stringify(k)}:${canon(v)}`).join(',')}}`
  }
  return JSON.stringify(value)
}

function distinctByContent(entries: readonly Keyed[]): Keyed[] {
  const seen = new Set<string>()
  return entries.filter((e) => {
    const id = canon([e.key, e.row])
    if (seen.has(id)) return false
    seen.add(id)
    return true
  })
}

function sameContent(a: readonly Keyed[], b: readonly Keyed[]): boolean {
  const ids = new Set(a.map((e) => canon([e.key, e.row])))
  return a.length === b.length && b.every((e) => ids.has(canon([e.key, e.row])))
}

/** Sorts by `order.value` in its direction, ties by key ascending (a stable copy). */
export function sortByOrder(entries: readonly Keyed[], order: Order): Keyed[] {
  const sign = order.direction === 'asc' ? 1 : -1
  return [...entries].sort(
    (a, b) => sign * compareValues(order.value(a.row), order.value(b.row)) || compareValues(a.key, b.key),
  )
}

function join(
  mode: 'inner' | 'left' | 'semi' | 'anti',
  left: readonly Keyed[],
  right: readonly Keyed[],
  leftKey: Selector<unknown>,
  rightKey: Selector<unknown>,
): Keyed[] {
  const out: Keyed[] = []
  for (const l of left) {
    const lk = select(leftKey, l.row)
    const matches = right.filter((r) => {
      const rk = select(rightKey, r.row)
      return lk != null && rk != null && keyId(lk) === keyId(rk)
    })
    switch (mode) {
      case 'inner':
        for (const r of matches) out.push({ key: [l.key, r.key], row: [l.row, r.row] })
        break
      case 'left':
        for (const r of matches) out.push({ key: [l.key, r.key], row: [l.row, r.row] })
        if (matches.length === 0) out.push({ key: [l.key], row: [l.row, undefined] })
        break
      case 'semi':
        if (matches.length > 0) out.push(l)
        break
      case 'anti':
        if (matches.length === 0) out.push(l)
        break
    }
  }
  return out
}

function select(selector: Selector<unknown>, row: unknown): Key | undefined {
  if (typeof selector === 'function') return selector(row)
  return (row as Record<string, Key | undefined>)[selector]
}

/** The non-empty groups of `entries` by `key(row)`, in order of first appearance, rows in input order. */
function groups(entries: readonly Keyed[], key: (row: unknown) => Key): { key: Key; rows: Keyed[] }[] {
  const byId = new Map<KeyId, { key: Key; rows: Keyed[] }>()
  for (const e of entries) {
    const k = key(e.row)
    const id = keyId(k)
    const group = byId.get(id)
    if (group) group.rows.push(e)
    else byId.set(id, { key: k, rows: [e] })
  }
  return [...byId.values()]
}

/** An aggregate recomputed over a whole group, from the definition the test helpers below recorded. */
function aggregateOf(aggregate: Aggregate<unknown, unknown>, rows: readonly Keyed[]): unknown {
  const spec = specs.get(aggregate)
  if (spec === undefined) throw new Error(`the oracle cannot recompute a '${aggregate.kind}' aggregate made outside oracle.ts`)
  const values = rows.map((e) => e.row)
  switch (spec.kind) {
    case 'count':
      return values.length
    case 'sum':
      return values.map(spec.value).reduce<number>((total, v) => (v == null ? total : total + v), 0)
    case 'avg': {
      const present = values.map(spec.value).filter((v) => v != null)
      return present.length === 0 ? null : present.reduce((a, b) => a + b, 0) / present.length
    }
    case 'min':
    case 'max': {
      const present = values.map(spec.value).filter((v) => v != null)
      const sign = spec.kind === 'min' ? 1 : -1
      return present.reduce<unknown>((best, v) => (best === null || sign * compareValues(v, best) < 0 ? v : best), null)
    }
    case 'reducer':
      return values.reduce(spec.add, spec.initial)
  }
}

type AggregateSpec =
  | { readonly kind: 'count' }
  | { readonly kind: 'sum' | 'avg'; readonly value: (row: unknown) => number | null | undefined }
  | { readonly kind: 'min' | 'max'; readonly value: (row: unknown) => unknown }
  | { readonly kind: 'reducer'; readonly initial: unknown; readonly add: (acc: unknown, row: unknown) => unknown }

// An engine aggregate is opaque (a state factory), so the oracle cannot recompute it; the helpers below
// build the engine's aggregate and record its definition here for the oracle.
const specs = new WeakMap<object, AggregateSpec>()

function described<A extends object>(aggregate: A, spec: AggregateSpec): A {
  specs.set(aggregate, spec)
  return aggregate
}

// Rows reach aggregates as `unknown` in plans; the typed helpers guarantee the row type, as in relation.ts.
const erase = <T, R>(fn: (row: T) => R) => fn as (row: unknown) => R

/** The engine's `count()`, recomputable by the oracle. */
export const count = () => described(engine.count(), { kind: 'count' })

/** The engine's `sum(value)`, recomputable by the oracle. */
export const sum = <T>(value: (row: T) => number | null | undefined) =>
  described(engine.sum(value), { kind: 'sum', value: erase(value) })

/** The engine's `avg(value)`, recomputable by the oracle. */
export const avg = <T>(value: (row: T) => number | null | undefined) =>
  described(engine.avg(value), { kind: 'avg', value: erase(value) })

/** The engine's `min(value)`, recomputable by the oracle. */
export const min = <T, V>(value: (row: T) => V) => described(engine.min(value), { kind: 'min', value: erase(value) })

/** The engine's `max(value)`, recomputable by the oracle. */
export const max = <T, V>(value: (row: T) => V) => described(engine.max(value), { kind: 'max', value: erase(value) })

/** The engine's `reducer(spec)`, recomputed by the oracle as a left fold of `add` from `initial`. */
export const reducer = <T, A>(spec: { initial: A; add: (acc: A, row: T) => A; remove: (acc: A, row: T) => A }) =>
  described(engine.reducer(spec), {
    kind: 'reducer',
    initial: spec.initial,
    add: spec.add as (acc: unknown, row: unknown) => unknown,
  })
