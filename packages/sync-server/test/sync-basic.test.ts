import { MutationRejectedError } from '@stepping/core'
import { afterEach, describe, expect, test } from 'vitest'
import { itemsByList, items, members } from './fixtures/sync-app'
import { sorted, startClient, startServer, until } from './sync-helpers'
import { tempDir } from './tmp'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function setup() {
  const tmp = tempDir('stepping-sync-')
  const s = await startServer(tmp.file('server.db'))
  cleanups.push(() => tmp.remove(), () => s.stop())
  s.store.transact((tx) => {
    tx.insert(members, [{ user: 1, list: 1 }, { user: 2, list: 1 }, { user: 2, list: 2 }])
    tx.insert(items, [{ id: 'a', list: 1, text: 'first', n: 0 }, { id: 'b', list: 2, text: 'second', n: 0 }])
  })
  const client = (user: number, lists: number[]) => {
    const c = startClient(s.url, user, lists)
    cleanups.push(() => c.client.close())
    return c
  }
  return { ...s, client }
}

describe('sync client and server', () => {
  test('a subscription arrives as a client collection and follows the server', async () => {
    const s = await setup()
    const c = s.client(2, [1, 2])
    await until(() => c.store.read(items).length === 2, 5000, 'the snapshot')
    expect(c.client.status).toBe('online')
    s.store.transact((tx) => tx.update(items, 'a', { text: 'changed' }))
    await until(() => c.store.get(items, 'a')?.text === 'changed', 5000, 'the diff')
    expect(sorted(c.store.read(items))).toEqual(sorted([...s.store.read(itemsByList, 1), ...s.store.read(itemsByList, 2)]))
    expect(c.client.version('itemsByList', 1)).toBe(s.store.version)
  })

  test('a mutation applies at once, is acknowledged, and reaches other clients', async () => {
    const s = await setup()
    const a = s.client(1, [1])
    const b = s.client(2, [1])
    await until(() => a.store.read(items).length === 1 && b.store.read(items).length === 1)
    const done = a.client.mutate('bump', { id: 'a', tag: 'x' })
    expect(a.store.get(items, 'a')?.n).toBe(1)
    await done
    expect(s.store.get(items, 'a')?.n).toBe(1)
    await until(() => b.store.get(items, 'a')?.n === 1, 5000, 'the other client')
    expect(a.client.pendingCount).toBe(0)
  })

  test('a rejected mutation rolls back and rejects with the server error', async () => {
    const s = await setup()
    const a = s.client(1, [1])
    await until(() => a.store.read(items).length === 1)
    // The client may write list 2 optimistically; the server says user 1 may not.
    const put = a.client.mutate('put', { id: 'z', list: 2, text: 'not mine' })
    expect(a.store.get(items, 'z')).toBeDefined()
    const error: unknown = await put.catch((e: unknown) => e)
    expect(error).toBeInstanceOf(MutationRejectedError)
    expect((error as MutationRejectedError).message).toContain('may not write list 2')
    expect(a.store.get(items, 'z')).toBeUndefined()
    expect(s.store.get(items, 'z')).toBeUndefined()
  })

  test('a pending mutation stays visible through every rebase until the server answers it', async () => {
    const s = await setup()
    const a = s.client(1, [1])
    await until(() => a.client.status === 'online' && a.store.read(items).length === 1)
    a.client.disconnect()
    await until(() => a.client.status !== 'online')
    const seen: { text: string; n: number }[] = []
    a.store.subscribe(items, () => {
      const row = a.store.get(items, 'a')
      if (row) seen.push({ text: row.text, n: row.n })
    })
    const bump = a.client.mutate('bump', { id: 'a', tag: 'a' })
    // The server changes the row meanwhile: the client gets that diff before its own mutation's answer.
    s.store.transact((tx) => tx.update(items, 'a', { text: 'edited on the server' }))
    await bump
    await until(() => a.store.get(items, 'a')?.text === 'edited on the server')
    expect(seen.every((r) => r.n === 1)).toBe(true)
    expect(seen.at(-1)).toEqual({ text: 'edited on the server', n: 1 })
    expect(s.store.get(items, 'a')).toMatchObject({ text: 'edited on the server', n: 1 })
  })

  test('unsubscribing removes the subscription\'s rows and stops its diffs', async () => {
    const s = await setup()
    const c = s.client(2, [])
    const stop1 = c.client.subscribe({ view: 'itemsByList', partition: 1, into: items })
    c.client.subscribe({ view: 'itemsByList', partition: 2, into: items })
    await until(() => c.store.read(items).length === 2)
    stop1()
    expect(c.store.read(items).map((i) => i.id)).toEqual(['b'])
    s.store.transact((tx) => {
      tx.update(items, 'a', { text: 'unseen' })
      tx.update(items, 'b', { text: 'seen' })
    })
    await until(() => c.store.get(items, 'b')?.text === 'seen')
    expect(c.store.get(items, 'a')).toBeUndefined()
  })
})
