import { keyId, type Key, type MutationMessage, type SyncPersistence, type SyncSnapshot, type SyncWrite } from '@stepping/core'
import { openDB, type DBSchema } from 'idb'
import { StorageFullError } from './errors'

interface Subscription {
  readonly view: string
  readonly partition: Key | undefined
  readonly version: number
}

interface Row {
  readonly key: Key
  readonly row: unknown
}

interface Schema extends DBSchema {
  meta: { key: 'clientId' | 'epoch' | 'lastMutationId'; value: string | number }
  subscriptions: { key: string; value: Subscription }
  /** Under `[subscription id, JSON of the row's key id]`, so one subscription's rows are one key range. */
  rows: { key: [string, string]; value: Row }
  pending: { key: number; value: MutationMessage }
}

/**
 * A sync client's `persistence` in the IndexedDB database `name` (one per client; not the store's own
 * database): the subscriptions' rows and versions, the client id and the pending mutation queue. Every
 * write is one readwrite transaction with `durability: 'strict'`, so a mutation queued offline survives a
 * reload or a crash; writes are applied in the order they were issued (IndexedDB runs transactions over
 * the same object stores in creation order). A full origin quota fails the write with `StorageFullError`.
 *
 * One client owns a database at a time: its client id numbers its mutations, and two tabs numbering
 * theirs alike would have the server take one tab's mutations for the other's repeats. So the first
 * tab takes the Web Lock `stepping-sync:<name>` for as long as it lives; a tab that finds it held loads
 * nothing and writes nothing (its client starts afresh and keeps its state in memory), and `owner`
 * resolves to false there. Where there is no Web Locks API (Node), every instance owns its database.
 *
 * @example
 * connect(store, url, { token, mutators, persistence: indexedDbSyncPersistence('comments-sync') })
 */
export function indexedDbSyncPersistence(name: string): SyncPersistence & { readonly owner: Promise<boolean>; close(): void } {
  const owner = claim(`stepping-sync:${name}`)
  const opening = openDB<Schema>(name, 1, {
    upgrade(db) {
      db.createObjectStore('meta')
      db.createObjectStore('subscriptions')
      db.createObjectStore('rows')
      db.createObjectStore('pending')
    },
  })
  let version = 0
  return {
    owner,
    async load(): Promise<SyncSnapshot | undefined> {
      if (!(await owner)) return undefined
      const db = await opening
      const tx = db.transaction(['meta', 'subscriptions', 'rows', 'pending'])
      const clientId = await tx.objectStore('meta').get('clientId')
      if (typeof clientId !== 'string') return undefined
      const epoch = await tx.objectStore('meta').get('epoch')
      const lastMutationId = await tx.objectStore('meta').get('lastMutationId')
      const subscriptions: SyncSnapshot['subscriptions'][number][] = []
      for (let c = await tx.objectStore('subscriptions').openCursor(); c; c = await c.continue())
        subscriptions.push({ ...c.value, rows: await tx.objectStore('rows').getAll(range(c.key)) })
      const pending = await tx.objectStore('pending').getAll()
      await tx.done
      return {
        clientId,
        epoch: typeof epoch === 'string' ? epoch : undefined,
        lastMutationId: typeof lastMutationId === 'number' ? lastMutationId : 0,
        subscriptions,
        pending,
      }
    },

    async write(batch: SyncWrite): Promise<void> {
      if (!(await owner)) return
      const db = await opening
      const n = ++version
      const tx = db.transaction(['meta', 'subscriptions', 'rows', 'pending'], 'readwrite', { durability: 'strict' })
      const meta = tx.objectStore('meta')
      const subs = tx.objectStore('subscriptions')
      const rows = tx.objectStore('rows')
      const pending = tx.objectStore('pending')
      const writes: Promise<unknown>[] = []
      if (batch.clientId !== undefined) writes.push(meta.put(batch.clientId, 'clientId'))
      if (batch.epoch !== undefined) writes.push(meta.put(batch.epoch, 'epoch'))
      if (batch.lastMutationId !== undefined) writes.push(meta.put(batch.lastMutationId, 'lastMutationId'))
      for (const r of batch.removed ?? []) {
        const id = subscriptionId(r.view, r.partition)
        writes.push(subs.delete(id), rows.delete(range(id)))
      }
      for (const w of batch.subscriptions ?? []) {
        const id = subscriptionId(w.view, w.partition)
        if (w.reset) writes.push(rows.delete(range(id)))
        writes.push(subs.put({ view: w.view, partition: w.partition, version: w.version }, id))
        for (const c of w.changes) if (c.weight < 0) writes.push(rows.delete([id, rowId(c.key)]))
        for (const c of w.changes) if (c.weight > 0) writes.push(rows.put({ key: c.key, row: c.row }, [id, rowId(c.key)]))
      }
      for (const m of batch.addPending ?? []) writes.push(pending.put(m, m.id))
      for (const id of batch.removePending ?? []) writes.push(pending.delete(id))
      try {
        await Promise.all([...writes, tx.done])
      } catch (error) {
        if (error instanceof DOMException && error.name === 'QuotaExceededError') throw new StorageFullError(name, n, 'sync state', { cause: error })
        throw error
      }
    },

    close(): void {
      void opening.then((db) => db.close())
    },
  }
}

/** Takes the Web Lock `name` for as long as the page lives, unless another tab holds it; true where there are no locks. */
function claim(name: string): Promise<boolean> {
  const locks = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks
  if (locks === undefined) return Promise.resolve(true)
  return new Promise((resolve) => {
    void locks.request(name, { ifAvailable: true }, (lock) => {
      resolve(lock !== null)
      // Held until the page goes away.
      return lock === null ? undefined : new Promise<never>(() => undefined)
    })
  })
}

const subscriptionId = (view: string, partition: Key | undefined): string =>
  partition === undefined ? view : `${view}\u0000${JSON.stringify(partition)}`
const rowId = (key: Key): string => JSON.stringify(keyId(key))
/** Every row key of one subscription: arrays sort after strings, so `[id, []]` bounds `[id, any string]`. */
const range = (id: string): IDBKeyRange => IDBKeyRange.bound([id], [id, []])
