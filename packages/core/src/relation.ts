import type { Aggregate, AggregateResult } from './aggregates'
import type { Key } from './key'

/** Picks a key from a row: a function, or the name of a field whose values are keys. */
export type Selector<T> = ((row: T) => Key) | KeyField<T>

/** Names of the fields of `T` whose values are keys. */
export type KeyField<T> = { [P in keyof T]-?: T[P] extends Key ? P : never }[keyof T] & string

/** Sort direction of `orderBy`. */
export type Direction = 'asc' | 'desc'

/** A row of a `groupBy` result: the group's key and one field per aggregate. */
export type Grouped<K, A> = { readonly key: K } & { readonly [P in keyof A]: AggregateResult<A[P]> }

type Fn<A, R> = (a: A) => R

/**
 * The logical plan a view is traced into: one node per relational operator, shared where the same
 * `Relation` object is used twice. The store compiles it into a circuit of incremental operators.
 */
export type Plan =
  | { readonly kind: 'input'; readonly source: Source }
  | { readonly kind: 'filter'; readonly input: Plan; readonly fn: Fn<unknown, boolean> }
  | { readonly kind: 'map'; readonly input: Plan; readonly fn: Fn<unknown, unknown>; readonly key: Fn<unknown, Key> | undefined }
  | { readonly kind: 'flatMap'; readonly input: Plan; readonly fn: Fn<unknown, Iterable<unknown>>; readonly key: Fn<unknown, Key> | undefined }
  | { readonly kind: 'union'; readonly inputs: readonly Plan[] }
  | { readonly kind: 'except'; readonly left: Plan; readonly right: Plan }
  | {
      readonly kind: 'join'
      readonly mode: 'inner' | 'left' | 'semi' | 'anti'
      readonly left: Plan
      readonly right: Plan
      readonly leftKey: Selector<unknown>
      readonly rightKey: Selector<unknown>
    }
  | {
      readonly kind: 'groupBy'
      readonly input: Plan
      readonly key: Fn<unknown, Key>
      readonly aggregates: Readonly<Record<string, Aggregate<unknown, unknown>>>
    }
  | { readonly kind: 'distinct'; readonly input: Plan; readonly key: Fn<unknown, Key> | undefined }
  | { readonly kind: 'orderBy'; readonly input: Plan; readonly order: Order }
  | { readonly kind: 'variable'; readonly id: symbol }
  | {
      readonly kind: 'recursive'
      readonly seed: Plan
      readonly body: Plan
      readonly variable: symbol
      readonly maxIterations: number
    }
  | {
      readonly kind: 'limit'
      readonly input: Plan
      readonly order: Order
      readonly limit: number
      readonly offset: number
      readonly per: Fn<unknown, Key> | undefined
    }

/** How an ordered relation sorts: by `value(row)` in `direction`, ties broken by row key ascending. */
export interface Order {
  readonly value: Fn<unknown, unknown>
  readonly direction: Direction
}

/** Options of `limit`. */
export interface LimitOptions<T> {
  /** Rows to skip before the first one kept. */
  readonly offset?: number
  /** Keep `n` rows per group of this key (top-K per group) instead of `n` in all. */
  readonly per?: (row: T) => Key
}

// Plans are typed over `unknown` rows; the typed API above them guarantees the functions receive the
// row type they were written for. This one cast is where the two meet.
const erase = <T, R>(fn: (row: T) => R): Fn<unknown, R> => fn as Fn<unknown, R>

/**
 * A relation: a keyed Z-set of rows of type `T` that changes over time. Every method returns a new
 * relation; nothing runs until a store compiles the views that use it. Functions passed to operators
 * must be pure: the engine calls them again on old rows to retract what they produced.
 */
export class Relation<T> {
  constructor(readonly plan: Plan) {}

  /** Rows for which `predicate` holds. Stateless. */
  filter<S extends T>(predicate: (row: T) => row is S): Relation<S>
  filter(predicate: (row: T) => boolean): Relation<T>
  filter(predicate: (row: T) => boolean): Relation<T> {
    return new Relation({ kind: 'filter', input: this.plan, fn: erase(predicate) })
  }

  /** Each row transformed; keeps the input row's key unless `key` derives one from the output. Stateless. */
  map<U>(fn: (row: T) => U, options?: { key?: (row: U) => Key }): Relation<U> {
    const key = options?.key
    return new Relation({ kind: 'map', input: this.plan, fn: erase(fn), key: key && erase(key) })
  }

  /** Each row replaced by zero or more rows, keyed `[inputKey, index]` unless `key` is given. Stateless. */
  flatMap<U>(fn: (row: T) => Iterable<U>, options?: { key?: (row: U) => Key }): Relation<U> {
    const key = options?.key
    return new Relation({ kind: 'flatMap', input: this.plan, fn: erase(fn), key: key && erase(key) })
  }

  /**
   * All rows of this relation and of `others` (bag union: weights add). A key present on two sides is
   * counted twice; follow with `distinct()` when the sides can overlap. Stateless.
   */
  union(...others: Relation<T>[]): Relation<T> {
    return new Relation({ kind: 'union', inputs: [this.plan, ...others.map((o) => o.plan)] })
  }

  /** Rows of this relation whose key is not a key of `other` (SQL `EXCEPT`, by key). */
  except(other: Relation<T>): Relation<T> {
    return new Relation({ kind: 'except', left: this.plan, right: other.plan })
  }

  /**
   * Inner equi-join: a `[left, right]` pair for every two rows whose keys are equal, keyed by the pair of
   * row keys. A null or undefined join key matches nothing, as in SQL. Both sides are indexed once
   * (an arrangement), shared with every other join of the same relation on the same selector.
   */
  join<U>(other: Relation<U>, leftKey: Selector<T>, rightKey: Selector<U>): Relation<[T, U]> {
    return this.#join('inner', other, leftKey, rightKey)
  }

  /** Left outer join: like `join`, plus `[left, undefined]` for each left row without a match. */
  leftJoin<U>(other: Relation<U>, leftKey: Selector<T>, rightKey: Selector<U>): Relation<[T, U | undefined]> {
    return this.#join('left', other, leftKey, rightKey)
  }

  /** Rows of this relation that have at least one match in `other` (each once, however many match). */
  semiJoin<U>(other: Relation<U>, leftKey: Selector<T>, rightKey: Selector<U>): Relation<T> {
    return this.#join('semi', other, leftKey, rightKey)
  }

  /** Rows of this relation that have no match in `other`. */
  antiJoin<U>(other: Relation<U>, leftKey: Selector<T>, rightKey: Selector<U>): Relation<T> {
    return this.#join('anti', other, leftKey, rightKey)
  }

  #join<R>(mode: 'inner' | 'left' | 'semi' | 'anti', other: { readonly plan: Plan }, leftKey: unknown, rightKey: unknown): Relation<R> {
    return new Relation({
      kind: 'join',
      mode,
      left: this.plan,
      right: other.plan,
      leftKey: leftKey as Selector<unknown>,
      rightKey: rightKey as Selector<unknown>,
    })
  }

  /**
   * One row per group: `{ key, ...aggregates }`, keyed by the group key. A group exists while it has
   * rows. Only the groups a change touches are recomputed, each in O(1) (count, sum, avg, reducers) or
   * O(log n) (min, max).
   */
  groupBy<K extends Key, A extends Record<string, Aggregate<T, unknown>>>(
    key: (row: T) => K,
    aggregates: A,
  ): Relation<Grouped<K, A>> {
    return new Relation({
      kind: 'groupBy',
      input: this.plan,
      key: erase(key),
      aggregates: aggregates as unknown as Record<string, Aggregate<unknown, unknown>>,
    })
  }

  /**
   * Each key once (DBSP's distinct: weight clamped to 1 while positive). With `key`, rows are re-keyed
   * by it first, so rows that share a `key` value become one; they should be equal rows (a projection),
   * as the row kept is the one added last.
   */
  distinct(key?: (row: T) => Key): Relation<T> {
    return new Relation({ kind: 'distinct', input: this.plan, key: key && erase(key) })
  }

  /**
   * The same rows, sorted by `value(row)` (ties by key) for `limit` and for reading a view in order.
   * Values compare with `compareValues`; return a tuple to sort by several values.
   */
  orderBy(value: (row: T) => unknown, direction: Direction = 'asc'): OrderedRelation<T> {
    const order: Order = { value: erase(value), direction }
    return new OrderedRelation({ kind: 'orderBy', input: this.plan, order }, order)
  }

  /** Marks a view as read one partition at a time: `store.read(view, partition)`. */
  partitionBy<P extends Key>(partition: (row: T) => P): PartitionedRelation<T, P> {
    return new PartitionedRelation(this, erase(partition))
  }
}

/** A relation with a sort order: `limit` keeps a window of it, and views over it read in order. */
export class OrderedRelation<T> extends Relation<T> {
  constructor(
    plan: Plan,
    readonly order: Order,
  ) {
    super(plan)
  }

  /**
   * The first `n` rows after `offset` in this order (top-K), or the first `n` of every group with
   * `{ per }`. A change costs O(log n) to place plus O(offset + n) when it lands inside the window.
   */
  limit(n: number, offsetOrOptions: number | LimitOptions<T> = 0): OrderedRelation<T> {
    const options = typeof offsetOrOptions === 'number' ? { offset: offsetOrOptions } : offsetOrOptions
    const offset = options.offset ?? 0
    if (!Number.isInteger(n) || n < 0 || !Number.isInteger(offset) || offset < 0)
      throw new RangeError(`limit(${n}, ${offset}): limit and offset must be non-negative integers`)
    const plan: Plan = {
      kind: 'limit',
      input: this.plan,
      order: this.order,
      limit: n,
      offset,
      per: options.per && erase(options.per),
    }
    return new OrderedRelation(plan, this.order)
  }
}

/** A relation whose view is read, and subscribed to, one partition at a time. */
export class PartitionedRelation<T, P extends Key> {
  declare readonly partitionType: P
  constructor(
    readonly relation: Relation<T>,
    readonly partition: Fn<unknown, Key>,
  ) {}
}

/** What the plan knows of an input collection: its name, primary key and schema version. */
export interface Source {
  readonly name: string
  readonly key: Fn<unknown, Key>
  /** The key selector as written (a field name or a function's source), for view hashes. */
  readonly keyText: string
  /** The schema version of the collection's rows (`CollectionOptions.version`). */
  readonly version: number
  /** Upgrades a row stored under an older schema version (`CollectionOptions.migrate`). */
  readonly migrate: ((row: unknown, from: number) => unknown) | undefined
}

/** Options of `recursive`. */
export interface RecursiveOptions {
  /**
   * Inner iterations allowed per transaction before the recursion is declared divergent (a body that
   * keeps making new rows): the transaction then fails with a `RecursionLimitError`. Default 10,000.
   */
  readonly maxIterations?: number
}

/**
 * A recursive relation: the least fixpoint of `result = distinct(seed ∪ step(result))`. `step` receives
 * the relation being defined and may use filter, map, flatMap, union, except, distinct and inner joins
 * (with input collections, other relations, or itself). Maintained incrementally as DBSP's nested
 * fixpoint: a change costs work in proportion to the derivations it adds or removes, and deletions are
 * exact, including those that cut a cycle. Rows are distinct by key and content.
 *
 * @example every ancestor/descendant pair of a comment tree, with depth
 * recursive(comments.map((c) => ({ ancestor: c.id, id: c.id, depth: 0 }), { key: (r) => [r.ancestor, r.id] }),
 *   (self) => self.join(comments, 'id', 'parentId')
 *     .map(([d, c]) => ({ ancestor: d.ancestor, id: c.id, depth: d.depth + 1 }), { key: (r) => [r.ancestor, r.id] }))
 */
export function recursive<T>(
  seed: Relation<T>,
  step: (self: Relation<T>) => Relation<T>,
  options: RecursiveOptions = {},
): Relation<T> {
  const variable = Symbol('self')
  const body = step(new Relation<T>({ kind: 'variable', id: variable }))
  const maxIterations = options.maxIterations ?? 10_000
  if (!Number.isInteger(maxIterations) || maxIterations < 1)
    throw new RangeError(`recursive: maxIterations must be a positive integer, got ${maxIterations}`)
  return new Relation({ kind: 'recursive', seed: seed.plan, body: body.plan, variable, maxIterations })
}

/** Options of `collection`. */
export interface CollectionOptions<T> {
  /** The primary key: a field name or a function of the row. */
  readonly key: Selector<T>
  /**
   * The version of the rows' shape, a positive integer (default 1). Raise it when the row type changes:
   * a store whose storage holds rows of an older version migrates them with `migrate`, or refuses to
   * open with a `SchemaVersionError` rather than mix old rows with new ones.
   */
  readonly version?: number
  /**
   * Turns a row stored under schema version `from` into a row of the current version. Called once per
   * stored row when a store opens on older rows; the migrated rows are written back as one commit.
   */
  readonly migrate?: (row: unknown, from: number) => T
}

/** An input collection: typed rows with a primary key, changed only through `store.transact`. */
export class Collection<T> extends Relation<T> {
  declare readonly rowType: T
  readonly source: Source

  constructor(name: string, options: CollectionOptions<T>) {
    const version = options.version ?? 1
    if (!Number.isInteger(version) || version < 1)
      throw new RangeError(`collection '${name}': version must be a positive integer, got ${version}`)
    const source: Source = {
      name,
      key: erase(selectorFn(options.key)),
      keyText: typeof options.key === 'function' ? options.key.toString() : `.${options.key}`,
      version,
      migrate: options.migrate,
    }
    super({ kind: 'input', source })
    this.source = source
  }

  get name(): string {
    return this.source.name
  }
}

/** The function a selector stands for. */
export function selectorFn<T>(selector: Selector<T>): (row: T) => Key {
  return typeof selector === 'function' ? selector : (row) => row[selector] as Key
}

/** Declares an input collection named `name` (unique within a store). */
export function collection<T>(name: string, options: CollectionOptions<T>): Collection<T> {
  return new Collection<T>(name, options)
}

/** A named, materialized relation the store keeps up to date. `P` is the partition key type, if any. */
export class View<T, P extends Key = never> {
  declare readonly rowType: T
  declare readonly partitionType: P
  constructor(
    readonly name: string,
    readonly plan: Plan,
    readonly order: Order | undefined,
    readonly partition: Fn<unknown, Key> | undefined,
  ) {}
}

/** Declares a view: the relation `relation`, materialized under `name` by every store that lists it. */
export function view<T, P extends Key>(name: string, relation: PartitionedRelation<T, P>): View<T, P>
export function view<T>(name: string, relation: Relation<T>): View<T>
export function view<T>(name: string, relation: Relation<T> | PartitionedRelation<T, Key>): View<T, Key> {
  const partition = relation instanceof PartitionedRelation ? relation.partition : undefined
  const rel = relation instanceof PartitionedRelation ? relation.relation : relation
  const order = rel instanceof OrderedRelation ? rel.order : undefined
  return new View(name, rel.plan, order, partition)
}
