import { keyId, type Key, type Store, type View } from '@stepping/core'

/** What `authenticate` returns: any object with a stable `id` (a user id, a tenant id). */
export interface Identity {
  readonly id: string | number
}

/**
 * A view clients may subscribe to, and who may read which partition of it. Build one with `publish`.
 * Contract: `key(row)` is the key the view gives the row (rows travel with their keys; a client
 * collection holding them must have the same key).
 */
export interface Publication<I extends Identity> {
  readonly view: View<unknown, Key>
  readonly key: (row: unknown) => Key
  /** Whether `identity` may read `partition` (undefined for a view that is not partitioned). */
  canRead(store: Store, identity: I, partition: Key | undefined): boolean
  /** When access comes from a grants view: that view, partitioned by identity id. */
  readonly grants: View<unknown, Key> | undefined
}

/** Options of `publish`: the row key, and at most one of `canRead` and `grants` (neither: everyone reads). */
export interface PublishOptions<T, P extends Key, I extends Identity, G> {
  /** The key the view gives each row, e.g. `'id'` for a view of a collection keyed by id. */
  readonly key: ((row: T) => Key) | (keyof T & string)
  /** Decides per subscription; call `server.revalidate()` when its answer may have changed. */
  readonly canRead?: (identity: I, partition: P) => boolean
  /**
   * A view, partitioned by identity id, of the partitions each identity may read: a subscription is
   * allowed while the identity's partition of `grants.view` has a row whose `grants.partition` is the
   * subscribed partition, and revoked (its rows deleted on the client) as soon as that row goes.
   */
  readonly grants?: { readonly view: View<G, Key>; readonly partition: (grant: G) => P }
}

/** Publishes `view` to sync clients under the access rule of `options`. */
export function publish<T, P extends Key, I extends Identity, G = never>(view: View<T, P>, options: PublishOptions<T, P, I, G>): Publication<I> {
  const select = options.key
  const key = (typeof select === 'function' ? select : (row: T) => row[select] as Key) as (row: unknown) => Key
  const grants = options.grants
  const canRead = options.canRead as ((identity: I, partition: Key | undefined) => boolean) | undefined
  return {
    view: view as View<unknown, Key>,
    key,
    grants: grants?.view as View<unknown, Key> | undefined,
    canRead(store, identity, partition) {
      if (canRead !== undefined) return canRead(identity, partition)
      if (grants === undefined) return true
      if (partition === undefined) return false
      const wanted = keyId(partition)
      return store.read(grants.view, identity.id).some((g) => keyId(grants.partition(g)) === wanted)
    },
  }
}
