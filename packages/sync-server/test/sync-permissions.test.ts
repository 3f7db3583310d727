import type { DiffMessage } from '@stepping/core'
import { afterEach, describe, expect, test } from 'vitest'
import { items, members } from './fixtures/sync-app'
import { rawClient, startClient, startServer, until } from './sync-helpers'
import { tempDir } from './tmp'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function setup() {
  const tmp = tempDir('stepping-sync-perm-')
  const s = await startServer(tmp.file('server.db'), {}, ['https://app.example'])
  cleanups.push(() => tmp.remove(), () => s.stop())
  s.store.transact((tx) => {
    tx.insert(members, [{ user: 1, list: 1 }, { user: 1, list: 2 }, { user: 2, list: 2 }])
    tx.insert(items, [
      { id: 'one', list: 1, text: 'in list 1', n: 0 },
      { id: 'two', list: 2, text: 'in list 2', n: 0 },
      { id: 'three', list: 3, text: 'in list 3', n: 0 },
    ])
  })
  return s
}

const rowsOf = (messages: readonly { type: string }[]) =>
  messages.filter((m): m is DiffMessage => m.type === 'diff').flatMap((d) => d.changes.map((c) => c.row as { list: number }))

describe('permissions', () => {
  test('a forbidden partition is refused and none of its rows is ever sent', async () => {
    const s = await setup()
    const raw = await rawClient(s.url, { token: 'user:2', clientId: 'raw-2' })
    cleanups.push(() => raw.close())
    raw.send({ type: 'subscribe', id: 'mine', view: 'itemsByList', partition: 2 })
    raw.send({ type: 'subscribe', id: 'theirs', view: 'itemsByList', partition: 1 })
    const refused = await raw.next((m) => m.type === 'error')
    expect(refused).toMatchObject({ type: 'error', code: 'forbidden', ref: 'theirs' })
    s.store.transact((tx) => {
      tx.update(items, 'one', { text: 'changed' })
      tx.update(items, 'two', { text: 'changed' })
      tx.update(items, 'three', { text: 'changed' })
    })
    await raw.next((m) => m.type === 'diff' && m.to === s.store.version)
    expect(rowsOf(raw.messages).every((row) => row.list === 2)).toBe(true)
    const client = startClient(s.url, 2, [1, 2])
    cleanups.push(() => client.client.close())
    await until(() => client.errors.length > 0 && client.store.read(items).length === 1, 5000, 'the refusal')
    expect(client.store.read(items).map((i) => i.id)).toEqual(['two'])
    expect(client.errors[0]).toMatchObject({ name: 'SyncError', code: 'forbidden' })
  })

  test('revoking access sends the deletions and stops the diffs', async () => {
    const s = await setup()
    const client = startClient(s.url, 1, [1, 2])
    cleanups.push(() => client.client.close())
    const raw = await rawClient(s.url, { token: 'user:1', clientId: 'raw-1' })
    cleanups.push(() => raw.close())
    raw.send({ type: 'subscribe', id: 's1', view: 'itemsByList', partition: 1 })
    await raw.next((m) => m.type === 'diff')
    await until(() => client.store.read(items).length === 2, 5000, 'both lists')
    s.store.transact((tx) => tx.delete(members, [1, 1]))
    await until(() => client.store.read(items).length === 1, 5000, 'the deletions')
    expect(client.store.read(items).map((i) => i.id)).toEqual(['two'])
    const deletion = (await raw.next((m) => m.type === 'diff' && m.changes.some((c) => c.weight < 0))) as DiffMessage
    expect(deletion.changes).toEqual([{ key: 'one', row: { id: 'one', list: 1, text: 'in list 1', n: 0 }, weight: -1 }])
    await raw.next((m) => m.type === 'error' && m.code === 'forbidden' && m.ref === 's1')
    const seen = raw.messages.length
    s.store.transact((tx) => tx.update(items, 'one', { text: 'after revocation' }))
    s.store.transact((tx) => tx.update(items, 'two', { text: 'still readable' }))
    await until(() => client.store.get(items, 'two')?.text === 'still readable', 5000, 'list 2 still live')
    expect(raw.messages.slice(seen)).toEqual([])
    expect(client.store.get(items, 'one')).toBeUndefined()
  })

  test('a connection from an Origin outside the allow-list is refused', async () => {
    const s = await setup()
    await expect(rawClient(s.url, undefined, 'https://evil.example')).rejects.toThrow(/403/)
    const allowed = await rawClient(s.url, { token: 'user:1', clientId: 'o' }, 'https://app.example')
    allowed.close()
  })
})
