import type { Delta } from '../zset'
import type { UndoLog } from '../undo'

/**
 * One vertex of a circuit. In each step the circuit calls `step` with this step's output deltas of the
 * operator's `inputs`, in topological order, and only when at least one of them is non-empty: an
 * operator whose inputs did not change does no work at all.
 *
 * Contract:
 * - `step` returns this step's change to the operator's output (a Z-set delta, not consolidated), given
 *   the change to its inputs and the state it integrated up to the previous step.
 * - Every mutation of state is recorded on `undo` first, so a step that throws anywhere in the circuit
 *   can be rolled back exactly.
 * - Operators that read another operator's state (joins read arrangements) see it as of the end of the
 *   previous step; operators with `flush` integrate their input there, after every reader has run.
 * - User functions may throw; the circuit wraps what they throw in an `OperatorError` naming the
 *   operator and its views, and rolls the step back.
 */
export interface Operator {
  readonly kind: string
  readonly inputs: readonly Operator[]
  /** Position in the circuit's topological order, set when the circuit is built. */
  index: number
  /** Names of the views downstream of this operator (for error messages and `describe`). */
  readonly views: Set<string>
  step(inputs: readonly Delta<unknown>[], undo: UndoLog): Delta<unknown>
  /** Integrates this step's input into state after all readers ran; only arrangements have it. */
  flush?(undo: UndoLog): void
  /** Forgets what `step` left for `flush` (after a flush or a rollback). */
  reset?(): void
  /**
   * The operator's state as plain data for a checkpoint, or undefined when it cannot be saved (the views
   * using it then rebuild on open). Stateless operators have no `save`.
   */
  save?(): unknown
  /**
   * True when part of the state is the store's collection tables (a top-K over a collection reads its
   * rest there): it is then neither saved nor rebuilt from the collections as of a checkpoint, and the
   * views using it rebuild on open.
   */
  readonly readsTables?: boolean
  /** Takes back what `save` returned, into the operator's empty state, before any step. */
  load?(saved: unknown): void
  /** Rows (or groups) held in state, for `describe`. */
  stateSize(): number
  /** A short description of what the operator does, for `describe` and errors. */
  readonly label: string
}

/** Fields every operator shares; operators spread it into themselves. */
export abstract class BaseOperator implements Operator {
  abstract readonly kind: string
  index = -1
  readonly views = new Set<string>()

  constructor(readonly inputs: readonly Operator[]) {}

  abstract step(inputs: readonly Delta<unknown>[], undo: UndoLog): Delta<unknown>

  stateSize(): number {
    return 0
  }

  get label(): string {
    return `${this.kind}#${this.index}`
  }
}

export const EMPTY: Delta<never> = Object.freeze([])
