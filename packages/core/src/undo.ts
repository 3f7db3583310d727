/**
 * What a failed step must put back. Every operator records, before it mutates its state, a closure that
 * restores what it changes; a step that throws runs them in reverse order, so the circuit is exactly as it
 * was before the transaction. Undo closures never call user code.
 *
 * `active` is false while the store loads its initial state: a failed load discards the whole store, so
 * the closures would be wasted work. Operators check it before allocating a closure.
 */
export class UndoLog {
  #actions: (() => void)[] = []
  active = true

  record(action: () => void): void {
    if (this.active) this.#actions.push(action)
  }

  rollback(): void {
    const actions = this.#actions
    for (let i = actions.length - 1; i >= 0; i--) actions[i]!()
    this.#actions = []
  }

  clear(): void {
    this.#actions = []
  }
}

/** For writes with nothing to roll back (loading, tables after a commit): records nothing. */
export const NO_UNDO = new UndoLog()
NO_UNDO.active = false
