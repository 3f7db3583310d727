import { RecursionLimitError, UsageError } from '../errors'
import { selectorFn, type Plan } from '../relation'
import type { UndoLog } from '../undo'
import type { Change, Delta } from '../zset'
import { NestedDistinct } from './nested-distinct'
import { NestedJoin } from './nested-join'
import {
  NestedFilter,
  NestedFlatMap,
  NestedMap,
  NestedNegate,
  NestedSource,
  NestedUnion,
  elem,
  unsupportedInBody,
  type Elem,
  type NestedOp,
  type WorkCounter,
} from './nested'
import { BaseOperator, type Operator } from './operator'

/** What a recursive plan node holds: `result = distinct(seed ∪ body(result))`, to a fixpoint. */
export interface RecursiveSpec {
  readonly seed: Plan
  readonly body: Plan
  readonly variable: symbol
  readonly maxIterations: number
}

/** Compiles a body into nested operators; subplans that do not use `self` compile in the outer circuit. */
class BodyCompiler {
  readonly ops: NestedOp[] = []
  readonly outer: Operator[] = []
  readonly sources: NestedSource[] = []
  readonly variable = this.#add(new NestedSource())
  readonly #built = new Map<Plan, NestedOp>()
  readonly #depends = new Map<Plan, boolean>()

  constructor(
    readonly spec: RecursiveSpec,
    readonly compileOuter: (plan: Plan) => Operator,
    readonly counter: WorkCounter,
  ) {}

  #add<O extends NestedOp>(op: O): O {
    op.index = this.ops.length
    this.ops.push(op)
    return op
  }

  /** The nested source fed by an outer operator (one per operator, however often the body uses it). */
  source(plan: Plan): NestedSource {
    const op = this.compileOuter(plan)
    const at = this.outer.indexOf(op)
    if (at >= 0) return this.sources[at]!
    const source = this.#add(new NestedSource())
    this.outer.push(op)
    this.sources.push(source)
    return source
  }

  #usesSelf(plan: Plan): boolean {
    let known = this.#depends.get(plan)
    if (known === undefined) {
      known = children(plan).some((p) => this.#usesSelf(p)) || (plan.kind === 'variable' && plan.id === this.spec.variable)
      this.#depends.set(plan, known)
    }
    return known
  }

  build(plan: Plan): NestedOp {
    const done = this.#built.get(plan)
    if (done) return done
    const op = this.#usesSelf(plan) ? this.#nested(plan) : this.source(plan)
    this.#built.set(plan, op)
    return op
  }

  #nested(plan: Plan): NestedOp {
    switch (plan.kind) {
      case 'variable':
        return this.variable
      case 'filter':
        return this.#add(new NestedFilter(this.build(plan.input), plan.fn))
      case 'map':
        return this.#add(new NestedMap(this.build(plan.input), plan.fn, plan.key))
      case 'flatMap':
        return this.#add(new NestedFlatMap(this.build(plan.input), plan.fn, plan.key))
      case 'union':
        return this.#add(new NestedUnion(plan.inputs.map((p) => this.build(p))))
      case 'except': {
        const negated = this.#add(new NestedNegate([this.build(plan.right)]))
        return this.#add(new NestedDistinct([this.#add(new NestedUnion([this.build(plan.left), negated]))], this.counter))
      }
      case 'distinct': {
        const key = plan.key
        const input = this.build(plan.input)
        const keyed = key ? this.#add(new NestedMap(input, (row) => row, key)) : input
        return this.#add(new NestedDistinct([keyed], this.counter))
      }
      case 'orderBy':
        return this.build(plan.input)
      case 'join':
        if (plan.mode !== 'inner') throw unsupportedInBody(`${plan.mode === 'left' ? 'leftJoin' : plan.mode + 'Join'}`)
        return this.#add(
          new NestedJoin([this.build(plan.left), this.build(plan.right)], selectorFn(plan.leftKey), selectorFn(plan.rightKey), this.counter),
        )
      case 'recursive':
        throw unsupportedInBody('a recursive view')
      case 'groupBy':
      case 'limit':
        throw unsupportedInBody(plan.kind)
      case 'input':
        throw new UsageError('internal: an input never depends on self')
    }
  }
}

function children(plan: Plan): readonly Plan[] {
  switch (plan.kind) {
    case 'input':
    case 'variable':
      return []
    case 'union':
      return plan.inputs
    case 'except':
    case 'join':
      return [plan.left, plan.right]
    case 'recursive':
      return [plan.seed, plan.body]
    default:
      return [plan.input]
  }
}

/**
 * A recursive view: `result = distinct(seed ∪ body(result))`, maintained as DBSP's nested fixpoint.
 * Each transaction runs inner iterations over 2-D changes (see nested.ts) until nothing changes and the
 * past holds nothing further to meet: semi-naive within the step, incremental across steps. An edge
 * insert or delete costs work in proportion to the derivations it adds or removes; deletions are exact,
 * cycles included. A body that keeps producing new rows stops at `maxIterations` with a
 * `RecursionLimitError`, and the transaction rolls back.
 */
export class RecursiveOperator extends BaseOperator implements WorkCounter {
  readonly kind = 'recursive'
  work = 0
  readonly #ops: readonly NestedOp[]
  readonly #sources: readonly NestedSource[]
  readonly #variable: NestedSource
  readonly #loop: NestedDistinct
  readonly #outputs: Elem[][]

  constructor(
    readonly spec: RecursiveSpec,
    compileOuter: (plan: Plan) => Operator,
  ) {
    const counter: WorkCounter = { work: 0 }
    const compiler = new BodyCompiler(spec, compileOuter, counter)
    const seed = compiler.source(spec.seed)
    const body = compiler.build(spec.body)
    const union = new NestedUnion([seed, body])
    union.index = compiler.ops.length
    compiler.ops.push(union)
    const loop = new NestedDistinct([union], counter)
    loop.index = compiler.ops.length
    compiler.ops.push(loop)
    super(compiler.outer)
    this.#counter = counter
    this.#ops = compiler.ops
    this.#sources = compiler.sources
    this.#variable = compiler.variable
    this.#loop = loop
    this.#outputs = compiler.ops.map(() => [])
  }

  readonly #counter: WorkCounter

  step(inputs: readonly Delta<unknown>[], undo: UndoLog): Delta<unknown> {
    inputs.forEach((d, k) => (this.#sources[k]!.next = d.map((c) => elem(c.key, c.row, c.weight))))
    const ops = this.#ops
    const outs = this.#outputs
    const total = new Map<string, Elem>()
    let maxPast = -1
    for (const op of ops) maxPast = Math.max(maxPast, op.maxPastIteration())
    const workBefore = this.#counter.work
    for (let i = 0; ; i++) {
      if (i > this.spec.maxIterations) throw new RecursionLimitError([...this.views], this.spec.maxIterations)
      let changed = false
      for (const op of ops) {
        const out = op.iterate(
          i,
          op.inputs.map((x) => outs[x.index]!),
        )
        outs[op.index] = out
        if (out.length > 0) changed = true
      }
      const loopOut = outs[this.#loop.index]!
      for (const e of loopOut) {
        const t = total.get(e.id)
        const w = (t?.weight ?? 0) + e.weight
        total.set(e.id, { id: e.id, key: e.key, row: e.row, weight: w })
      }
      this.#variable.next = loopOut
      if (!changed && i > maxPast) break
    }
    this.#variable.next = []
    for (const op of ops) op.commit(undo)
    this.work += this.#counter.work - workBefore
    const out: Change<unknown>[] = []
    for (const e of total.values()) if (e.weight !== 0) out.push({ key: e.key, row: e.row, weight: e.weight })
    return out
  }

  reset(): void {
    for (const op of this.#ops) op.reset()
    for (const s of this.#sources) s.next = []
    this.#variable.next = []
  }

  /**
   * The nested fixpoint's per-iteration state is not saved. Fed by the collections through stateless
   * operators (the usual case), it is rebuilt from them on open; behind other state, its view is rebuilt.
   */
  save(): undefined {
    return undefined
  }

  override stateSize(): number {
    let n = 0
    for (const op of this.#ops) n += op.stateSize()
    return n
  }
}
