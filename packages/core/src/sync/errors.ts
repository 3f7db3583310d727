import { SteppingError } from '../errors'
import type { ErrorCode } from './protocol'

/** An error the sync server sent, or a failure of the sync connection itself. `code` tells the kinds apart. */
export class SyncError extends SteppingError {
  override name = 'SyncError'
  constructor(
    readonly code: ErrorCode | 'closed' | 'protocol-violation',
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message)
  }
}

/**
 * The server ran the mutator and it threw: nothing of the mutation was applied (and the optimistic change
 * was rolled back on the client). `errorName` and `message` are those of the error the server's mutator threw.
 */
export class MutationRejectedError extends SteppingError {
  override name = 'MutationRejectedError'
  constructor(
    readonly mutation: string,
    readonly mutationId: number,
    readonly errorName: string,
    message: string,
  ) {
    super(`mutation '${mutation}' (#${mutationId}) was rejected by the server: ${errorName}: ${message}`)
  }
}

/** `client.mutate` named a mutator the client was not given. */
export class UnknownMutatorError extends SteppingError {
  override name = 'UnknownMutatorError'
  constructor(readonly mutation: string) {
    super(`no mutator named '${mutation}': pass it in connect(store, url, { mutators: { ${mutation}: (tx, args) => … } })`)
  }
}
