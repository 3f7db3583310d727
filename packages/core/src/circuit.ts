import { InternalError, OperatorError, SteppingError, UsageError } from './errors'
import type { Key, KeyId } from './key'
import { Arrangement } from './operators/arrangement'
import { DistinctOperator } from './operators/distinct'
import { FilterOperator } from './operators/filter'
import { GroupByOperator } from './operators/group-by'
import { InputOperator } from './operators/input'
import { GroupingJoinOperator, JoinOperator, MatchJoinOperator, PadOperator, type Stage } from './operators/join'
import { FlatMapOperator, MapOperator } from './operators/map'
import { EMPTY, type Operator } from './operators/operator'
import { RecursiveOperator } from './operators/recursive'
import { TopKOperator } from './operators/top-k'
import { NegateOperator, UnionOperator } from './operators/union'
import { selectorFn, type Plan, type Selector, type Source, type View } from './relation'
import { ViewSink } from './sink'
import type { UndoLog } from './undo'
import type { Delta } from './zset'

/** One operator as `store.describe()` reports it. */
export interface OperatorInfo {
  readonly id: number
  readonly kind: string
  readonly label: string
  readonly inputs: readonly number[]
  readonly views: readonly string[]
  /** Rows or groups held in the operator's state. */
  readonly state: number
  /** Rows touched so far, for operators that count their work (recursive views). */
  readonly work?: number
}

/** A view of the circuit: its sink, and the operator whose output the sink integrates. */
export interface SinkEntry {
  readonly view: View<unknown, Key>
  readonly sink: ViewSink<unknown>
  readonly operator: Operator
}

/** A step restricted to some operators (a newly added view's, say): only they run, only these sinks integrate. */
export interface CatchUp {
  readonly views: ReadonlySet<View<unknown, Key>>
  readonly operators: ReadonlySet<Operator>
}

/**
 * The DBSP circuit of a store's views: operators in topological order, compiled from the views' plans.
 * A plan node used by several views compiles once, and every join that indexes the same stream by the
 * same selector reads one shared arrangement. `step` pushes one transaction's input deltas through it.
 */
export class Circuit {
  readonly operators: Operator[] = []
  readonly inputs = new Map<Source, InputOperator>()
  readonly sinks = new Map<View<unknown, Key>, SinkEntry>()
  /** The values of `sinks`, in its order, for loops run every step (a map's iterators are allocated). */
  readonly entries: SinkEntry[] = []
  // Where compiled plan nodes and arrangements are looked up for sharing. Views given to the constructor
  // share one scope; a view added later gets a fresh one, so that its operators (all new) can be caught up
  // with the current inputs without replaying operators that already hold state.
  #compiled = new Map<Plan, Operator>()
  #arrangements = new Map<Operator, Map<Selector<unknown>, Arrangement>>()
  #outputs: Delta<unknown>[] = []
  // Reused by every step (operators read their inputs during `step` and keep no reference to the array).
  readonly #one: Delta<unknown>[] = [EMPTY]
  readonly #flushers: Operator[] = []

  /**
   * `listened` tells whether anyone takes a view's diffs (subscribers): a sink records a step's diff
   * only then, so a build or an update nobody listens to allocates no diff.
   */
  constructor(
    views: readonly View<unknown, Key>[],
    readonly listened: (view: View<unknown, Key>) => boolean,
    /** A collection's committed rows by key id (the store's table), for a top-K that reads them (`TableHead`). */
    readonly tables: (source: Source) => ReadonlyMap<KeyId, unknown>,
  ) {
    for (const view of views) this.#attach(view)
  }

  #attach(view: View<unknown, Key>): SinkEntry {
    for (const other of this.sinks.keys())
      if (other.name === view.name) throw new UsageError(`two views are named '${view.name}'`)
    const operator = this.#compile(view.plan)
    const entry: SinkEntry = { view, sink: new ViewSink(view), operator }
    this.sinks.set(view, entry)
    this.entries.push(entry)
    markViews(operator, view.name)
    return entry
  }

  /**
   * Adds a view to a running circuit. Its operators are all new (nothing is shared with existing ones but
   * the inputs), so a step restricted to them (the returned `CatchUp`) that feeds every input row brings
   * them to the current state.
   */
  addView(view: View<unknown, Key>): CatchUp {
    const first = this.operators.length
    const scope = { compiled: this.#compiled, arrangements: this.#arrangements }
    this.#compiled = new Map()
    this.#arrangements = new Map()
    try {
      this.#attach(view)
    } catch (error) {
      this.#truncate(first)
      throw error
    } finally {
      this.#compiled = scope.compiled
      this.#arrangements = scope.arrangements
    }
    return { views: new Set([view]), operators: new Set(this.operators.slice(first)) }
  }

  /** A circuit of the same views and inputs with no state: what this one is when every input is empty. */
  fresh(): Circuit {
    const circuit = new Circuit([...this.sinks.keys()], this.listened, this.tables)
    for (const source of this.inputs.keys()) circuit.input(source)
    return circuit
  }

  /** Removes a view, and every operator no other view uses. */
  removeView(view: View<unknown, Key>): void {
    const entry = this.sinks.get(view)
    if (!entry) return
    this.sinks.delete(view)
    this.entries.splice(this.entries.indexOf(entry), 1)
    for (const op of this.operators) op.views.delete(view.name)
    const kept: Operator[] = []
    const removed = new Set<Operator>()
    for (const op of this.operators) {
      if (op.views.size > 0 || op.inputs.length === 0) kept.push(op)
      else removed.add(op)
    }
    this.operators.length = 0
    for (const op of kept) this.#add(op)
    for (const [plan, op] of this.#compiled) if (removed.has(op)) this.#compiled.delete(plan)
    for (const [op, bySelector] of this.#arrangements) {
      if (removed.has(op)) this.#arrangements.delete(op)
      else for (const [selector, arr] of bySelector) if (removed.has(arr)) bySelector.delete(selector)
    }
  }

  /** Drops operators added from position `first` on (a view that failed to compile or to catch up). */
  #truncate(first: number): void {
    const dropped = this.operators.splice(first)
    for (const op of dropped) if (op instanceof InputOperator) this.inputs.delete(op.source)
  }

  /** The input operator of a collection, created on first use (a store may hold collections no view reads). */
  input(source: Source): InputOperator {
    let op = this.inputs.get(source)
    if (op === undefined) {
      for (const other of this.inputs.keys())
        if (other.name === source.name) throw new UsageError(`two different collections are named '${source.name}'`)
      op = this.#add(new InputOperator(source))
      this.inputs.set(source, op)
    }
    return op
  }

  /**
   * Runs one step: feeds `inputs`, runs every operator whose inputs changed, integrates the views'
   * outputs into their sinks, then lets arrangements integrate. Throws (with state partly changed) if a
   * user function throws: the caller rolls `undo` back and calls `reset`.
   */
  step(inputs: ReadonlyMap<Source, Delta<unknown>>, undo: UndoLog, only?: CatchUp): void {
    const ops = this.operators
    const outs = this.#outputs
    // Setting an array's length is a call into the runtime even when it does not change.
    if (outs.length !== ops.length) outs.length = ops.length
    outs.fill(EMPTY)
    for (const source of inputs.keys()) outs[this.input(source).index] = inputs.get(source)!
    const flushers: Operator[] = this.#flushers
    for (const op of ops) {
      const from = op.inputs
      if (from.length === 0 || (only && !only.operators.has(op))) continue
      let ins: Delta<unknown>[]
      if (from.length === 1) {
        // The common case, without a closure: most operators have one input.
        const d = outs[from[0]!.index]!
        if (d.length === 0) continue
        ins = this.#one
        ins[0] = d
      } else {
        ins = from.map((i) => outs[i.index]!)
        if (ins.every((d) => d.length === 0)) continue
      }
      try {
        outs[op.index] = op.step(ins, undo)
      } catch (error) {
        throw wrap(error, op)
      }
      if (op.flush) flushers.push(op)
    }
    const sinks = this.entries
    for (let i = 0; i < sinks.length; i++) {
      const { view, sink, operator } = sinks[i]!
      const d = outs[operator.index]!
      if (d.length > 0 && (!only || only.views.has(view))) sink.apply(d, undo, this.listened(view))
    }
    for (const op of flushers) op.flush!(undo)
    flushers.length = 0
    this.#one[0] = EMPTY
  }

  /** Clears what a step leaves behind for its own use (pending arrangement input, sink diffs). */
  reset(): void {
    for (const op of this.operators) op.reset?.()
    for (const { sink } of this.entries) sink.reset()
    this.#outputs.fill(EMPTY)
    this.#flushers.length = 0
    this.#one[0] = EMPTY
  }

  describe(): OperatorInfo[] {
    return this.operators.map((op) => ({
      id: op.index,
      kind: op.kind,
      label: op.label,
      inputs: op.inputs.map((i) => i.index),
      views: [...op.views],
      state: op.stateSize(),
      ...(op instanceof RecursiveOperator ? { work: op.work } : {}),
    }))
  }

  #add<O extends Operator>(op: O): O {
    op.index = this.operators.length
    this.operators.push(op)
    return op
  }

  #compile(plan: Plan): Operator {
    const done = this.#compiled.get(plan)
    if (done) return done
    const op = this.#build(plan)
    this.#compiled.set(plan, op)
    return op
  }

  #build(plan: Plan): Operator {
    switch (plan.kind) {
      case 'input':
        return this.input(plan.source)
      case 'filter':
        return this.#fused(plan) ?? this.#add(new FilterOperator(this.#compile(plan.input), plan.fn))
      case 'map':
        return this.#fused(plan) ?? this.#add(new MapOperator(this.#compile(plan.input), plan.fn, plan.key))
      case 'flatMap':
        return this.#add(new FlatMapOperator(this.#compile(plan.input), plan.fn, plan.key))
      case 'union':
        return this.#add(new UnionOperator(plan.inputs.map((p) => this.#compile(p))))
      case 'except': {
        const left = this.#compile(plan.left)
        const negated = this.#add(new NegateOperator(this.#compile(plan.right)))
        return this.#add(new DistinctOperator(this.#add(new UnionOperator([left, negated])), undefined))
      }
      case 'join': {
        const left = this.#arrange(this.#compile(plan.left), plan.leftKey)
        const right = this.#arrange(this.#compile(plan.right), plan.rightKey)
        switch (plan.mode) {
          case 'inner':
            return this.#add(new JoinOperator(left, right))
          case 'semi':
          case 'anti':
            return this.#add(new MatchJoinOperator(left, right, plan.mode))
          case 'left': {
            const matched = this.#add(new JoinOperator(left, right))
            const unmatched = this.#add(new PadOperator(this.#add(new MatchJoinOperator(left, right, 'anti'))))
            return this.#add(new UnionOperator([matched, unmatched]))
          }
        }
      }
      case 'groupBy':
        return this.#fused(plan) ?? this.#add(new GroupByOperator(this.#compile(plan.input), plan.key, plan.aggregates))
      case 'distinct':
        return this.#add(new DistinctOperator(this.#compile(plan.input), plan.key))
      case 'orderBy':
        return this.#compile(plan.input)
      case 'recursive':
        return this.#add(new RecursiveOperator(plan, (p) => this.#compile(p)))
      case 'variable':
        throw new UsageError('a recursive body used its `self` relation outside of recursive()')
      case 'limit': {
        const input = this.#compile(plan.input)
        // Over a collection itself, the top-K reads the rows it does not place from the collection's table.
        const source = plan.per === undefined && input instanceof InputOperator ? input.source : undefined
        const table = source === undefined ? undefined : { rows: () => this.tables(source), key: source.key }
        return this.#add(new TopKOperator(input, plan.order, plan.limit, plan.offset, plan.per, table))
      }
    }
  }

  /**
   * A chain of filters and maps over an inner join, as one join operator that applies them to each pair
   * it makes (see `Stage`), and with a group-by reading the chain (or the join), one that puts each pair
   * straight into its group (`GroupingJoinOperator`): a build of a join then a filter no longer makes
   * every pair into a change that lives until the step ends, to drop most of them in the next operator.
   * Nothing is fused into a join, or a stage, that is compiled already (another view reads it): that one
   * is read as it is. A join reached this way is not compiled on its own, so two views filtering one join
   * each walk it (their arrangements are still shared).
   */
  #fused(plan: Plan): Operator | undefined {
    const groupBy = plan.kind === 'groupBy' ? plan : undefined
    let p = plan
    if (groupBy !== undefined) {
      p = groupBy.input
      if (this.#compiled.has(p)) return undefined
    }
    const stages: Stage[] = []
    while (p.kind === 'filter' || p.kind === 'map') {
      stages.unshift(p)
      p = p.input
      if (this.#compiled.has(p)) return undefined
    }
    if (p.kind !== 'join' || p.mode !== 'inner') return undefined
    const left = this.#arrange(this.#compile(p.left), p.leftKey)
    const right = this.#arrange(this.#compile(p.right), p.rightKey)
    if (groupBy === undefined) return this.#add(new JoinOperator(left, right, stages))
    return this.#add(new GroupingJoinOperator(left, right, stages, new GroupByOperator(undefined, groupBy.key, groupBy.aggregates)))
  }

  /** The arrangement of `input` by `selector`, shared by every join that asks for the same pair. */
  #arrange(input: Operator, selector: Selector<unknown>): Arrangement {
    let bySelector = this.#arrangements.get(input)
    if (bySelector === undefined) this.#arrangements.set(input, (bySelector = new Map()))
    let arrangement = bySelector.get(selector)
    if (arrangement === undefined) {
      arrangement = this.#add(new Arrangement(input, selectorFn(selector)))
      bySelector.set(selector, arrangement)
    }
    return arrangement
  }
}

function markViews(op: Operator, view: string): void {
  if (op.views.has(view)) return
  op.views.add(view)
  for (const input of op.inputs) markViews(input, view)
}

function wrap(error: unknown, op: Operator): unknown {
  if (error instanceof SteppingError || error instanceof InternalError) return error
  return new OperatorError([...op.views], op.label, { cause: error })
}
