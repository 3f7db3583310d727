import 'fake-indexeddb/auto'
import { memorySyncPersistence, type SyncPersistence, type SyncWrite } from '@stepping/core'
import { describe, expect, test } from 'vitest'
import { indexedDbSyncPersistence } from '../src/index'

// The same writes through IndexedDB (fake-indexeddb in Node) and through core's memory persistence, the
// reference: after each, a fresh instance on the same database loads what the memory one holds.

let n = 0
const fresh = () => `sync-persistence-${++n}`

const writes: SyncWrite[] = [
  { clientId: 'c1', epoch: 'e1', lastMutationId: 0 },
  {
    subscriptions: [
      {
        view: 'comments',
        partition: 'post-1',
        version: 3,
        reset: true,
        changes: [
          { key: 1, row: { id: 1, text: 'hello', at: new Date(7) }, weight: 1 },
          { key: 2, row: { id: 2, text: 'world', at: new Date(8) }, weight: 1 },
        ],
      },
      { view: 'posts', partition: undefined, version: 3, reset: true, changes: [{ key: 'p1', row: { id: 'p1' }, weight: 1 }] },
    ],
  },
  { lastMutationId: 2, addPending: [{ id: 1, name: 'like', args: { comment: 1 } }, { id: 2, name: 'reply', args: { to: 1, text: 'hi' } }] },
  {
    subscriptions: [
      {
        view: 'comments',
        partition: 'post-1',
        version: 4,
        reset: false,
        changes: [
          { key: 1, row: { id: 1, text: 'hello', at: new Date(7) }, weight: -1 },
          { key: 1, row: { id: 1, text: 'hello!', at: new Date(9) }, weight: 1 },
          { key: 2, row: { id: 2, text: 'world', at: new Date(8) }, weight: -1 },
        ],
      },
    ],
    removePending: [1],
  },
  { removed: [{ view: 'posts', partition: undefined }] },
  { subscriptions: [{ view: 'comments', partition: 'post-1', version: 9, reset: true, changes: [{ key: 5, row: { id: 5 }, weight: 1 }] }] },
]

const sortSubs = async (p: SyncPersistence) => {
  const s = await p.load()
  return s && { ...s, subscriptions: [...s.subscriptions].sort((a, b) => a.view.localeCompare(b.view)) }
}

describe('indexedDbSyncPersistence', () => {
  test('a new database loads nothing', async () => {
    expect(await indexedDbSyncPersistence(fresh()).load()).toBeUndefined()
  })

  test('after every write, a reopened database loads what the memory reference holds', async () => {
    const name = fresh()
    const reference = memorySyncPersistence()
    const db = indexedDbSyncPersistence(name)
    for (const [i, w] of writes.entries()) {
      await reference.write(w)
      await db.write(w)
      const reopened = indexedDbSyncPersistence(name)
      expect(await sortSubs(reopened), `after write ${i}`).toEqual(await sortSubs(reference))
      reopened.close()
    }
  })

  test('writes issued without waiting land in order', async () => {
    const name = fresh()
    const reference = memorySyncPersistence()
    const db = indexedDbSyncPersistence(name)
    for (const w of writes) void reference.write(w)
    await Promise.all(writes.map((w) => db.write(w)))
    expect(await sortSubs(indexedDbSyncPersistence(name))).toEqual(await sortSubs(reference))
  })
})
