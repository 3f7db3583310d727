import fc from 'fast-check'
import { expect } from 'vitest'
import { createStore, keyId, type Change, type Key, type Order, type Store, type View } from '../src/index'
import { canon, evaluate, sortByOrder, type Keyed } from './oracle'
import { items, Model, others, scenario, teams, type Scenario } from './scenario'

/** Options of `checkViews`. */
export interface CheckOptions {
  /** For partitioned views: the partitions to read and subscribe to one by one. */
  readonly partitions?: readonly Key[]
  readonly numRuns?: number
  /** The random transaction sequences to run (default: `scenario`). */
  readonly scenario?: fc.Arbitrary<Scenario>
  /** False: report the first failing sequence as it is, for sequences too large to shrink in a test's time. */
  readonly shrink?: boolean
}

/**
 * The property every view must have: after every step of a random transaction sequence, (a) the view
 * reads as the oracle's from-scratch result over the current inputs, in order when it is ordered, and
 * (b) what its subscribers heard in the step, applied to the previous from-scratch result, gives the new
 * one, without a change that cancels out. Partitioned views are also checked partition by partition.
 */
export function checkViews(views: readonly View<unknown, Key>[], options: CheckOptions = {}): void {
  const partitions = options.partitions ?? []
  fc.assert(
    fc.property(options.scenario ?? scenario, (s) => run(views, partitions, s)),
    { numRuns: options.numRuns ?? 100, endOnFailure: options.shrink === false },
  )
}

function run(views: readonly View<unknown, Key>[], partitions: readonly Key[], s: Scenario): void {
  const store = createStore({ views, collections: [items, others, teams] })
  const model = new Model()
  const watchers = views.map((view) => new Watcher(store, view, partitions))
  const steps = [s.initial, ...s.steps]
  steps.forEach((changes, step) => {
    store.transact((tx) => {
      for (const change of changes) model.apply(tx, change)
    })
    const held = [store.read(items), store.read(others), store.read(teams)].map(byCanon)
    expect(held, 'collections').toStrictEqual([model.items, model.others, model.teams].map((m) => byCanon([...m.values()])))
    const inputs = model.inputs()
    for (const w of watchers) w.check(evaluate(w.view.plan, inputs), `view '${w.view.name}' after step ${step}`)
  })
}

/** Subscribes to a view (and to each partition of it) and checks it against consecutive oracle results. */
class Watcher {
  #previous: readonly Keyed[] = []
  readonly #heard: Change<unknown>[][] = []
  readonly #heardByPartition = new Map<Key, Change<unknown>[][]>()

  constructor(
    readonly store: Store,
    readonly view: View<unknown, Key>,
    readonly partitions: readonly Key[],
  ) {
    store.subscribe(view, (diff) => void this.#heard.push([...diff]))
    if (view.partition === undefined) return
    for (const p of partitions) {
      const heard: Change<unknown>[][] = []
      this.#heardByPartition.set(p, heard)
      store.subscribe(view, (diff) => void heard.push([...diff]), p)
    }
  }

  check(next: readonly Keyed[], label: string): void {
    const { store, view } = this
    const partition = view.partition
    expectRows(store.read(view), next, partition ? undefined : view.order, label)
    expect(next.map((e) => store.get(view, e.key)), `${label}: get by key`).toStrictEqual(next.map((e) => e.row))
    expectDiffs(this.#heard, this.#previous, next, label)
    if (partition) {
      for (const [p, heard] of this.#heardByPartition) {
        const inP = (entries: readonly Keyed[]) => entries.filter((e) => keyId(partition(e.row)) === keyId(p))
        const where = `${label}, partition ${JSON.stringify(p)}`
        expectRows(store.read(view, p), inP(next), view.order, where)
        expect(inP(next).map((e) => store.get(view, e.key, p)), `${where}: get by key`).toStrictEqual(inP(next).map((e) => e.row))
        expectDiffs(heard, inP(this.#previous), inP(next), where)
        heard.length = 0
      }
    }
    this.#heard.length = 0
    this.#previous = next
  }
}

/** `actual` holds the rows of `expected`: in its order when `order` is given, else as a multiset. */
function expectRows(actual: readonly unknown[], expected: readonly Keyed[], order: Order | undefined, label: string): void {
  if (order) expect(actual, `${label}: rows in order`).toStrictEqual(sortByOrder(expected, order).map((e) => e.row))
  else expect(byCanon(actual), `${label}: rows`).toStrictEqual(byCanon(expected.map((e) => e.row)))
}

/** What one subscription heard in a step takes `previous` to `next`: at most one call, minimal, ±1 weights. */
function expectDiffs(heard: readonly Change<unknown>[][], previous: readonly Keyed[], next: readonly Keyed[], label: string): void {
  expect(heard.length, `${label}: notifications in one step`).toBeLessThanOrEqual(1)
  const diff = heard.flat()
  expect(diff.filter((c) => c.weight !== 1 && c.weight !== -1), `${label}: diff weights other than ±1`).toStrictEqual([])
  expect(sorted(zset(diff)), `${label}: a diff without changes that cancel out`).toHaveLength(diff.length)
  const applied = zset([...previous.map((e) => ({ ...e, weight: 1 })), ...diff])
  expect(sorted(applied), `${label}: previous result + diff`).toStrictEqual(sorted(zset(next.map((e) => ({ ...e, weight: 1 })))))
}

/** Consolidates changes into weights per (key, row), by content; drops what sums to zero. */
function zset(changes: readonly Change<unknown>[]): Map<string, number> {
  const weights = new Map<string, number>()
  for (const c of changes) {
    const id = canon([c.key, c.row])
    const w = (weights.get(id) ?? 0) + c.weight
    if (w === 0) weights.delete(id)
    else weights.set(id, w)
  }
  return weights
}

const sorted = (weights: Map<string, number>) => [...weights].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))

const byCanon = (rows: readonly unknown[]) =>
  rows
    .map((row) => ({ id: canon(row), row }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((e) => e.row)
