import { collection } from '@stepping/core'

/** The outcome of a rejected mutation, kept so that a repeat is answered as the first time. */
export interface RejectedMutation {
  readonly id: number
  readonly name: string
  readonly message: string
}

/** What the server keeps per sync client, in the store itself, written in the mutation's own transaction. */
export interface SyncClientRecord {
  readonly id: string
  /** The identity id of the first connection that pushed for this client id; no other identity may use it. */
  readonly owner: string | number
  /** The last mutation id applied or rejected: a mutation with an id up to it is a repeat. */
  readonly lastMutationId: number
  /** Rejected mutations the client may not have heard of yet (ids from its oldest unanswered push). */
  readonly rejected: readonly RejectedMutation[]
}

/** Per-client exactly-once bookkeeping of the sync server. */
export const syncClients = collection<SyncClientRecord>('stepping_sync_clients', { key: 'id' })

/** Settings of the sync server kept in its store: `epoch`, the id of this database. */
export const syncMeta = collection<{ readonly key: string; readonly value: string }>('stepping_sync_meta', { key: 'key' })
