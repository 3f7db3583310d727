import type { Circuit } from './circuit'
import { assert } from './errors'
import type { Key } from './key'
import type { Operator } from './operators/operator'
import type { Plan, Selector, View } from './relation'
import type { Change } from './zset'

/**
 * Raised when what the engine saves in a checkpoint changes meaning: every saved view state then has
 * another hash, so a store opening on an older checkpoint rebuilds instead of misreading it.
 */
const STATE_FORMAT = 2

/**
 * A view's saved state: its stateful operators' states in a fixed walk order, and its rows. null stands
 * for state that is a function of the collections alone (an arrangement of a collection, a group-by of a
 * filtered collection, the rows of a filter view): it is rebuilt from the collections on open rather
 * than saved, which costs about what loading it would and keeps checkpoints small.
 */
interface SavedView {
  readonly operators: readonly unknown[]
  readonly rows: readonly Change<unknown>[] | null
}

/**
 * A hash of a view's definition: its name, order and partition, and its plan down to the collections
 * (each operator's kind, parameters and functions' source text, each collection's key and schema
 * version). Two definitions with the same hash compute the same rows, so saved state can be reused;
 * values a function captures from its closure are not part of its text (see docs/storage.md).
 */
export function viewHash(view: View<unknown, Key>): string {
  const texts = new Map<Plan, string>()
  const variables = new Map<symbol, number>()
  const fn = (f: ((a: never) => unknown) | undefined): string => (f === undefined ? '-' : f.toString())
  const sel = (s: Selector<unknown>): string => (typeof s === 'function' ? s.toString() : `.${s}`)
  const text = (plan: Plan): string => {
    const done = texts.get(plan)
    if (done !== undefined) return done
    let t: string
    switch (plan.kind) {
      case 'input':
        t = `input(${JSON.stringify(plan.source.name)},${plan.source.keyText},v${plan.source.version})`
        break
      case 'filter':
        t = `filter(${text(plan.input)},${fn(plan.fn)})`
        break
      case 'map':
      case 'flatMap':
        t = `${plan.kind}(${text(plan.input)},${fn(plan.fn)},${fn(plan.key)})`
        break
      case 'union':
        t = `union(${plan.inputs.map(text).join(',')})`
        break
      case 'except':
        t = `except(${text(plan.left)},${text(plan.right)})`
        break
      case 'join':
        t = `join:${plan.mode}(${text(plan.left)},${text(plan.right)},${sel(plan.leftKey)},${sel(plan.rightKey)})`
        break
      case 'groupBy': {
        const aggregates = Object.entries(plan.aggregates).map(([name, a]) => `${name}=${a.text ?? `${a.kind}:${a.init.toString()}`}`)
        t = `groupBy(${text(plan.input)},${fn(plan.key)},${aggregates.join(',')})`
        break
      }
      case 'distinct':
        t = `distinct(${text(plan.input)},${fn(plan.key)})`
        break
      case 'orderBy':
        t = `orderBy(${text(plan.input)},${fn(plan.order.value)},${plan.order.direction})`
        break
      case 'variable': {
        let n = variables.get(plan.id)
        if (n === undefined) variables.set(plan.id, (n = variables.size))
        t = `self${n}`
        break
      }
      case 'recursive':
        t = `recursive(${text({ kind: 'variable', id: plan.variable })},${text(plan.seed)},${text(plan.body)},${plan.maxIterations})`
        break
      case 'limit':
        t = `limit(${text(plan.input)},${fn(plan.order.value)},${plan.order.direction},${plan.limit},${plan.offset},${fn(plan.per)})`
        break
    }
    texts.set(plan, t)
    return t
  }
  const order = view.order ? `${fn(view.order.value)},${view.order.direction}` : '-'
  return hash(`stepping/${STATE_FORMAT}|${JSON.stringify(view.name)}|${order}|${fn(view.partition)}|${text(view.plan)}`)
}

/** The state of a view's operators and rows, or undefined when one of its operators cannot save. */
export function saveView(circuit: Circuit, view: View<unknown, Key>): SavedView | undefined {
  const entry = circuit.sinks.get(view)
  assert(entry !== undefined, () => `view '${view.name}' is not in the circuit`)
  const operators: unknown[] = []
  for (const op of stateful(entry.operator)) {
    if (op.readsTables === true) return undefined
    if (fromInputs(op)) {
      // Its state is a function of the collections alone: rebuilt on open, as cheaply as it would load.
      operators.push(null)
      continue
    }
    const saved = op.save!()
    if (saved === undefined) return undefined
    operators.push(saved)
  }
  return { operators, rows: fromInputs(entry.operator, true) ? null : entry.sink.save() }
}

/** What loading views leaves to rebuild from the collections: a catch-up step over these operators and sinks. */
export interface Rebuild {
  readonly operators: Set<Operator>
  readonly views: Set<View<unknown, Key>>
}

/**
 * Loads a view's saved state into its (empty) operators and sink. Operators in `loaded` already hold
 * state (shared with a view loaded before) and are skipped. State saved as a function of the collections
 * (null) is added to `rebuild`, with the stateless operators between it and the collections.
 */
export function loadView(circuit: Circuit, view: View<unknown, Key>, state: unknown, loaded: Set<Operator>, rebuild: Rebuild): void {
  const entry = circuit.sinks.get(view)
  assert(entry !== undefined, () => `view '${view.name}' is not in the circuit`)
  const saved = state as SavedView
  const ops = stateful(entry.operator)
  assert(ops.length === saved.operators.length, () => `view '${view.name}': saved state has ${saved.operators.length} operators, not ${ops.length}`)
  ops.forEach((op, i) => {
    if (loaded.has(op)) return
    loaded.add(op)
    const s = saved.operators[i]
    if (s === null) upstream(op, rebuild.operators)
    else op.load!(s)
  })
  if (saved.rows === null) {
    upstream(entry.operator, rebuild.operators)
    rebuild.views.add(view)
  } else entry.sink.load(saved.rows)
}

/** The operators upstream of `output` (itself included) that hold state, in a walk order fixed by the plan. */
function stateful(output: Operator): Operator[] {
  const seen = new Set<Operator>()
  const out: Operator[] = []
  const visit = (op: Operator): void => {
    if (seen.has(op)) return
    seen.add(op)
    for (const input of op.inputs) visit(input)
    if (op.save) out.push(op)
  }
  visit(output)
  return out
}

/**
 * Whether `op`'s state (with `self`, its output) depends on the collections through stateless operators
 * only (filters, maps, unions of inputs): then feeding it the collections' rows rebuilds it exactly.
 */
function fromInputs(op: Operator, self = false): boolean {
  if (self && op.save) return false
  return op.inputs.every((input) => fromInputs(input, true))
}

/** Adds `op` and every operator upstream of it to `into`. */
function upstream(op: Operator, into: Set<Operator>): void {
  if (into.has(op)) return
  into.add(op)
  for (const input of op.inputs) upstream(input, into)
}

/** A 106-bit string hash (two 53-bit cyrb53 lanes), as hex. */
function hash(text: string): string {
  return lane(text, 0x9e3779b9).toString(16).padStart(14, '0') + lane(text, 0x85ebca6b).toString(16).padStart(14, '0')
}

function lane(text: string, seed: number): number {
  let h1 = 0xdeadbeef ^ seed
  let h2 = 0x41c6ce57 ^ seed
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    h1 = Math.imul(h1 ^ c, 2654435761)
    h2 = Math.imul(h2 ^ c, 1597334677)
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909)
  return 4294967296 * (2097151 & h2) + (h1 >>> 0)
}
