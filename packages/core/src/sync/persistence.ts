import { keyId, type Key, type KeyId } from '../key'
import type { Change } from '../zset'
import type { MutationMessage } from './protocol'

/** One subscription as persisted: which partition of which view, the version its rows are at, the rows. */
export interface PersistedSubscription {
  readonly view: string
  readonly partition: Key | undefined
  readonly version: number
  readonly rows: readonly { readonly key: Key; readonly row: unknown }[]
}

/** Everything a sync client needs to come back after a reload, offline included. */
export interface SyncSnapshot {
  readonly clientId: string
  /** The server epoch the versions belong to. */
  readonly epoch: string | undefined
  /** The last mutation id the client assigned. */
  readonly lastMutationId: number
  readonly subscriptions: readonly PersistedSubscription[]
  /** Mutations the server has not answered yet, in id order. */
  readonly pending: readonly MutationMessage[]
}

/** The change of one subscription in a `SyncWrite`: with `reset`, its old rows are dropped first. */
export interface SubscriptionWrite {
  readonly view: string
  readonly partition: Key | undefined
  readonly version: number
  readonly reset: boolean
  readonly changes: readonly Change<unknown>[]
}

/** What changed in the client's sync state, written as one unit. */
export interface SyncWrite {
  readonly clientId?: string
  readonly epoch?: string
  readonly lastMutationId?: number
  readonly subscriptions?: readonly SubscriptionWrite[]
  /** Subscriptions dropped, by view and partition. */
  readonly removed?: readonly { readonly view: string; readonly partition: Key | undefined }[]
  readonly addPending?: readonly MutationMessage[]
  /** Ids of mutations the server answered. */
  readonly removePending?: readonly number[]
}

/**
 * Where a sync client keeps its subscriptions' rows and versions and its pending mutations, so a reload
 * starts from them instead of from nothing. `memorySyncPersistence` implements it for tests and Node;
 * `@stepping/storage-indexeddb` is meant to implement it for the browser.
 *
 * Contract:
 * - `load` is called once, when the client starts; it returns what the writes so far add up to, or
 *   undefined when nothing was written.
 * - `write` is called in order; each call must be applied whole or not at all. A write that returns a
 *   promise is durable when it resolves; the client does not wait for it before going on, but writes are
 *   issued in order and must be applied in that order.
 */
export interface SyncPersistence {
  load(): SyncSnapshot | undefined | Promise<SyncSnapshot | undefined>
  write(batch: SyncWrite): void | Promise<void>
}

interface MemorySubscription {
  view: string
  partition: Key | undefined
  version: number
  rows: Map<KeyId, { key: Key; row: unknown }>
}

/** A `SyncPersistence` in memory: a second client given the same instance starts where the first was. */
export function memorySyncPersistence(): SyncPersistence {
  let clientId: string | undefined
  let epoch: string | undefined
  let lastMutationId = 0
  const subscriptions = new Map<string, MemorySubscription>()
  const pending = new Map<number, MutationMessage>()
  return {
    load() {
      if (clientId === undefined) return undefined
      return {
        clientId,
        epoch,
        lastMutationId,
        subscriptions: [...subscriptions.values()].map((s) => ({ view: s.view, partition: s.partition, version: s.version, rows: [...s.rows.values()] })),
        pending: [...pending.values()].sort((a, b) => a.id - b.id),
      }
    },
    write(batch) {
      if (batch.clientId !== undefined) clientId = batch.clientId
      if (batch.epoch !== undefined) epoch = batch.epoch
      if (batch.lastMutationId !== undefined) lastMutationId = batch.lastMutationId
      for (const r of batch.removed ?? []) subscriptions.delete(subscriptionKey(r.view, r.partition))
      for (const w of batch.subscriptions ?? []) {
        const id = subscriptionKey(w.view, w.partition)
        let s = subscriptions.get(id)
        if (s === undefined || w.reset) subscriptions.set(id, (s = { view: w.view, partition: w.partition, version: w.version, rows: new Map() }))
        s.version = w.version
        for (const c of w.changes) if (c.weight < 0) s.rows.delete(keyId(c.key))
        for (const c of w.changes) if (c.weight > 0) s.rows.set(keyId(c.key), { key: c.key, row: c.row })
      }
      for (const m of batch.addPending ?? []) pending.set(m.id, m)
      for (const id of batch.removePending ?? []) pending.delete(id)
    },
  }
}

/** The identity of a subscription across reloads: its view and partition. */
export function subscriptionKey(view: string, partition: Key | undefined): string {
  return partition === undefined ? view : `${view}\u0000${JSON.stringify(partition)}`
}
