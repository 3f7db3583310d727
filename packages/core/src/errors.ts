import type { Key } from './key'

/** Base class of every error stepping throws at its users. `name` tells the kinds apart. */
export class SteppingError extends Error {
  override name = 'SteppingError'
}

/** `tx.insert` named a key the collection already holds (use `upsert` to replace). */
export class DuplicateKeyError extends SteppingError {
  override name = 'DuplicateKeyError'
  constructor(
    readonly collection: string,
    readonly key: Key,
  ) {
    super(`insert into '${collection}': key ${JSON.stringify(key)} already exists (use tx.upsert to replace a row)`)
  }
}

/** `tx.update` or `tx.delete` named a key the collection does not hold. */
export class MissingKeyError extends SteppingError {
  override name = 'MissingKeyError'
  constructor(
    readonly collection: string,
    readonly key: Key,
    readonly operation: 'update' | 'delete',
  ) {
    super(`${operation} in '${collection}': no row has key ${JSON.stringify(key)}`)
  }
}

/** A row was rejected before it entered the engine (its key is not a valid key, say). */
export class InvalidRowError extends SteppingError {
  override name = 'InvalidRowError'
  constructor(
    readonly collection: string,
    message: string,
  ) {
    super(`'${collection}': ${message}`)
  }
}

/**
 * A user function inside a view (a filter predicate, a map, a key selector, a reducer) threw while a
 * transaction ran. The transaction was rolled back; `cause` is what the function threw.
 */
export class OperatorError extends SteppingError {
  override name = 'OperatorError'
  constructor(
    readonly views: readonly string[],
    readonly operator: string,
    options: { cause: unknown },
  ) {
    const cause = options.cause instanceof Error ? options.cause.message : String(options.cause)
    super(`${operator} in view ${views.map((v) => `'${v}'`).join(', ')} threw: ${cause}`, options)
  }
}

/**
 * Two different rows reached a view under the same key. Views are keyed sets: give `map` a `key` that
 * tells the rows apart, or add `distinct()` when the rows are meant to be one.
 */
export class KeyCollisionError extends SteppingError {
  override name = 'KeyCollisionError'
  constructor(
    readonly view: string,
    readonly key: Key,
  ) {
    super(
      `view '${view}': more than one row has key ${JSON.stringify(key)}; ` +
        `give map() a key that tells them apart, or add distinct()`,
    )
  }
}

/**
 * A recursive view did not reach a fixpoint within its `maxIterations` (a body that keeps producing new
 * rows, such as a map that counts up). The transaction was rolled back.
 */
export class RecursionLimitError extends SteppingError {
  override name = 'RecursionLimitError'
  constructor(
    readonly views: readonly string[],
    readonly maxIterations: number,
  ) {
    super(
      `recursive view ${views.map((v) => `'${v}'`).join(', ')} did not reach a fixpoint in ${maxIterations} iterations; ` +
        `make sure its step stops producing new rows, or raise recursive(…, { maxIterations })`,
    )
  }
}

/**
 * Storage holds rows of a collection written under another schema version than the collection declares
 * (`collection(name, { version })`): older rows without a `migrate` function to upgrade them, or rows
 * of a newer version than this code knows. The store does not open rather than mix the two shapes.
 */
export class SchemaVersionError extends SteppingError {
  override name = 'SchemaVersionError'
  constructor(
    readonly collection: string,
    readonly stored: number,
    readonly declared: number,
  ) {
    super(
      stored < declared
        ? `collection '${collection}': storage holds rows of schema version ${stored}, the collection declares version ${declared}; ` +
            `pass collection('${collection}', { version: ${declared}, migrate: (row, from) => … }) to upgrade them`
        : `collection '${collection}': storage holds rows of schema version ${stored}, newer than the declared version ${declared}; ` +
            `this code is older than the code that wrote them`,
    )
  }
}

/**
 * Another writer on the same storage (another tab) made a commit durable first, so this store's commits
 * from `version` on, applied in memory but not yet durable, were reverted: their changes are gone.
 */
export class CommitConflictError extends SteppingError {
  override name = 'CommitConflictError'
  constructor(readonly version: number) {
    super(`another writer committed version ${version} first; this store's commits from version ${version} on were reverted`)
  }
}

/** A store was asked about a view, collection or partition it does not have, or misused otherwise. */
export class UsageError extends SteppingError {
  override name = 'UsageError'
}

/** A broken internal invariant: a bug in stepping, never a user error. */
export class InternalError extends Error {
  override name = 'InternalError'
}

/** Internal invariant check. */
export function assert(condition: unknown, message: () => string): asserts condition {
  if (!condition) throw new InternalError(`stepping internal error: ${message()}`)
}
