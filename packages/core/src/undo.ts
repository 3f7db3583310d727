import { assert } from './errors'

// What an undo record does: run a closure, put a field back, or put a map's entry back.
const RUN = 0
const FIELD = 1
const ENTRY = 2

/** Slots (512 KB) an undo log's array may keep between steps; a larger one is let go once steps shrink. */
const KEPT = 1 << 16

/** What `entry` restores an entry of: a `Map`, or anything keyed like one (a B+ tree). */
interface Keyed<K, V> {
  set(key: K, value: V): unknown
  delete(key: K): unknown
}

/**
 * What a failed step must put back. Every operator records, before it mutates its state, how to restore
 * what it changes; a step that throws undoes the records in reverse order, so the circuit is exactly as
 * it was before the transaction. Undo records never call user code.
 *
 * The common records, a field's or a map entry's value before, are four slots of one array rather than
 * a closure each, and the array is kept from step to step and grown by hand (see `#log`). A 1,000-change
 * batch fanning out to 40,000 view rows makes ~100,000 records; as closures pushed onto a fresh array
 * each step, the pushes alone took as long as the rest of the batch. `record` takes a closure for
 * everything else.
 *
 * `active` is false while the store loads its initial state: a failed load discards the whole store, so
 * the records would be wasted work. Operators check it before computing what to record.
 */
export class UndoLog {
  /**
   * Records of four slots each: the op, its target and two operands; `#n` slots are in use. The array is
   * kept across steps and grown by hand: in a micro-benchmark, `push` onto an array past ~10,000
   * elements took 0.1–0.5 µs per element, an indexed write into room already there 30–50 ns.
   *
   * It starts with room for one record, so that the first transactions grow it. Started at 64 slots, as
   * it was, single-row transactions never grew it: V8 then optimized every recording function without
   * the growth path and with the array as a constant (a field written once is one), and the first larger
   * step (a batch) threw all of that code away at once (`--trace-deopt`: "code dependencies" for eight
   * functions, then "insufficient type feedback" in the growth path), to be optimized again over the
   * following batches.
   */
  #log: unknown[] = new Array(4)
  #n = 0
  /** What runs once the step commits (see `afterCommit`): the first `#after` of them, kept from step to step. */
  readonly #afterCommit: ((() => void) | undefined)[] = []
  #after = 0
  active = true

  /** Records a closure that restores what the caller is about to change. */
  record(action: () => void): void {
    if (this.active) this.#push(RUN, action, undefined, undefined)
  }

  /** Records that `target[field]` is to be put back to `value`. */
  field<O extends object, F extends keyof O>(target: O, field: F, value: O[F]): void {
    if (this.active) this.#push(FIELD, target, field, value)
  }

  /** Records that `map`'s entry for `key` is to be put back to `value`, or removed when `value` is undefined. */
  entry<K, V>(map: Keyed<K, V>, key: K, value: V | undefined): void {
    if (this.active) this.#push(ENTRY, map, key, value)
  }

  /**
   * Runs `action` when the step commits, and never if it rolls back: for changes a rollback could not put
   * back exactly, such as moving a key to the end of a `Map` (a key put back goes to the end, not to its
   * place).
   */
  afterCommit(action: () => void): void {
    if (this.active) this.#afterCommit[this.#after++] = action
  }

  /** The step committed: runs what waited for it, then forgets every record. */
  commit(): void {
    const actions = this.#afterCommit
    const n = this.#after
    this.#after = 0
    for (let i = 0; i < n; i++) {
      const action = actions[i]!
      actions[i] = undefined
      action()
    }
    this.clear()
  }

  #push(op: number, target: unknown, a: unknown, b: unknown): void {
    let log = this.#log
    const n = this.#n
    if (n + 4 > log.length) {
      const grown: unknown[] = new Array(log.length * 2)
      for (let i = 0; i < n; i++) grown[i] = log[i]
      this.#log = log = grown
    }
    log[n] = op
    log[n + 1] = target
    log[n + 2] = a
    log[n + 3] = b
    this.#n = n + 4
  }

  rollback(): void {
    const log = this.#log
    for (let i = this.#n - 4; i >= 0; i -= 4) {
      const target = log[i + 1]
      switch (log[i]) {
        case RUN:
          ;(target as () => void)()
          break
        case FIELD:
          ;(target as Record<PropertyKey, unknown>)[log[i + 2] as PropertyKey] = log[i + 3]
          break
        case ENTRY: {
          const map = target as Keyed<unknown, unknown>
          const value = log[i + 3]
          if (value === undefined) map.delete(log[i + 2])
          else map.set(log[i + 2], value)
          break
        }
        default:
          assert(false, () => `undo log: no record at slot ${i}`)
      }
    }
    this.#afterCommit.fill(undefined, 0, this.#after)
    this.#after = 0
    this.clear()
  }

  /**
   * Forgets every record, dropping what they held so it can be collected. A log grown large by one big
   * step and then used by a step a quarter its size is let go, so that it is not kept for good.
   */
  clear(): void {
    const log = this.#log
    if (log.length > KEPT && this.#n < log.length / 4) this.#log = new Array(64)
    else log.fill(undefined, 0, this.#n)
    this.#n = 0
  }
}

/** For writes with nothing to roll back (loading, tables after a commit): records nothing. */
export const NO_UNDO = new UndoLog()
NO_UNDO.active = false
