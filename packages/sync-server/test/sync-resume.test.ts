import { memorySyncPersistence, type DiffMessage } from '@stepping/core'
import { afterEach, describe, expect, test } from 'vitest'
import { items, itemsByList, members } from './fixtures/sync-app'
import { rawClient, sorted, startClient, startServer, until } from './sync-helpers'
import { tempDir } from './tmp'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function setup(logChanges = 10_000) {
  const tmp = tempDir('stepping-sync-resume-')
  const path = tmp.file('server.db')
  let s = await startServer(path, { logChanges })
  cleanups.push(() => tmp.remove())
  s.store.transact((tx) => {
    tx.insert(members, [{ user: 1, list: 1 }])
    for (let k = 0; k < 5; k++) tx.insert(items, { id: `i${k}`, list: 1, text: 'seed', n: 0 })
  })
  const change = (k: number) => s.store.transact((tx) => tx.update(items, `i${k % 5}`, (d) => void d.n++))
  const restart = async () => {
    await s.stop()
    s = await startServer(path, { logChanges })
    return s
  }
  cleanups.push(() => s.stop())
  return { get s() { return s }, change, restart }
}

const isDiff = (m: { type: string }): m is DiffMessage => m.type === 'diff'

describe('resume', () => {
  test('a client that comes back with its version gets exactly the changes it missed', async () => {
    const t = await setup()
    const a = await rawClient(t.s.url, { token: 'user:1', clientId: 'raw-a' })
    cleanups.push(() => a.close())
    a.send({ type: 'subscribe', id: 's1', view: 'itemsByList', partition: 1 })
    const first = (await a.next(isDiff)) as DiffMessage
    expect(first.reset).toBe(true)
    expect(first.changes).toHaveLength(5)
    a.close()
    for (let k = 0; k < 7; k++) t.change(k)
    const b = await rawClient(t.s.url, { token: 'user:1', clientId: 'raw-a' })
    cleanups.push(() => b.close())
    b.send({ type: 'subscribe', id: 's1', view: 'itemsByList', partition: 1, version: first.to })
    const resumed = (await b.next(isDiff)) as DiffMessage
    expect(resumed).toMatchObject({ reset: false, from: first.to, to: t.s.store.version })
    // Items 0 and 1 changed twice, 2 to 4 once: one −old/+new pair each, the intermediate state skipped.
    expect(resumed.changes).toHaveLength(10)
    expect(resumed.changes.filter((c) => c.weight > 0).map((c) => c.row)).toEqual(
      expect.arrayContaining(sorted(t.s.store.read(itemsByList, 1)).map((row) => expect.objectContaining(row))),
    )
    t.change(0)
    const live = (await b.next((m) => isDiff(m) && m.from === resumed.to)) as DiffMessage
    expect(live.to).toBe(t.s.store.version)
  })

  test('a version older than the retained log gets a reset with the snapshot', async () => {
    const t = await setup(4)
    const a = await rawClient(t.s.url, { token: 'user:1', clientId: 'raw-a' })
    cleanups.push(() => a.close())
    a.send({ type: 'subscribe', id: 's1', view: 'itemsByList', partition: 1 })
    const first = (await a.next(isDiff)) as DiffMessage
    a.send({ type: 'unsubscribe', id: 's1' })
    for (let k = 0; k < 5; k++) t.change(k)
    a.send({ type: 'subscribe', id: 's2', view: 'itemsByList', partition: 1, version: first.to })
    const reset = (await a.next((m) => isDiff(m) && m.sub === 's2')) as DiffMessage
    expect(reset.reset).toBe(true)
    expect(sorted(reset.changes.map((c) => c.row as { id: string }))).toEqual(sorted(t.s.store.read(itemsByList, 1)))
  })

  test('a client store resumes across disconnects, server restarts and a reload, without a gap or a repeat', async () => {
    const t = await setup()
    const persistence = memorySyncPersistence()
    let c = startClient(t.s.url, 1, [1], { persistence })
    const inSync = () => JSON.stringify(sorted(c.store.read(items))) === JSON.stringify(sorted(t.s.store.read(itemsByList, 1)))
    await until(inSync, 5000, 'first sync')
    c.client.disconnect()
    for (let k = 0; k < 3; k++) t.change(k)
    await until(() => c.client.status === 'online' && inSync(), 5000, 'resume after a disconnect')
    // A reload: a new store and client on the same persisted state start from its rows, offline.
    c.client.close()
    for (let k = 0; k < 3; k++) t.change(k)
    c = startClient(t.s.url, 1, [1], { persistence })
    expect(c.store.read(items)).toHaveLength(5)
    await until(() => c.client.status === 'online' && inSync(), 5000, 'resume after a reload')
    // The restarted server has no log: versions before its start get a reset, an equal version nothing.
    const s = await t.restart()
    s.store.transact((tx) => tx.update(items, 'i0', { text: 'after restart' }))
    c.client.close()
    c = startClient(s.url, 1, [1], { persistence })
    await until(() => c.client.status === 'online' && inSync(), 5000, 'reset after a server restart')
    expect(c.client.version('itemsByList', 1)).toBe(s.store.version)
    c.client.close()
    expect(c.errors).toEqual([])
  })

  test('pending mutations survive a reload and are applied once; another database resets the rows', async () => {
    const t = await setup()
    const persistence = memorySyncPersistence()
    let c = startClient(t.s.url, 1, [1], { persistence })
    await until(() => c.client.status === 'online' && c.store.read(items).length === 5)
    c.client.close()
    // Offline: the mutations apply locally and wait in the persisted queue.
    const offline = startClient('ws://127.0.0.1:9', 1, [1], { persistence })
    void offline.client.mutate('bump', { id: 'i0', tag: 'offline' })
    void offline.client.mutate('bump', { id: 'i0', tag: 'offline' })
    expect(offline.store.get(items, 'i0')?.n).toBe(2)
    offline.client.close()
    c = startClient(t.s.url, 1, [1], { persistence })
    expect(c.store.get(items, 'i0')?.n).toBe(2)
    await until(() => c.client.status === 'online' && c.client.pendingCount === 0 && t.s.store.get(items, 'i0')?.n === 2, 5000, 'the queue to drain')
    await new Promise((r) => setTimeout(r, 50))
    expect(t.s.store.get(items, 'i0')?.n).toBe(2)
    expect(c.store.get(items, 'i0')?.n).toBe(2)
    c.client.close()
    // A server on a new database (another epoch): the client's rows are replaced by its snapshot.
    const tmp = tempDir('stepping-sync-epoch-')
    cleanups.push(() => tmp.remove())
    const other = await startServer(tmp.file('other.db'))
    cleanups.push(() => other.stop())
    other.store.transact((tx) => {
      tx.insert(members, { user: 1, list: 1 })
      tx.insert(items, { id: 'elsewhere', list: 1, text: 'other db', n: 0 })
    })
    c = startClient(other.url, 1, [1], { persistence })
    await until(() => c.store.read(items).length === 1, 5000, 'the reset')
    expect(c.store.read(items)).toEqual(other.store.read(itemsByList, 1))
    c.client.close()
  })
})
