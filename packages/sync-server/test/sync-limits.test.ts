import { createStore, type DiffMessage } from '@stepping/core'
import { afterEach, describe, expect, test } from 'vitest'
import { WebSocket } from 'ws'
import { sqliteStorage } from '../src/index'
import { items, itemsByList, members, serverViews } from './fixtures/sync-app'
import { spawnServer } from './sync-process'
import { rawClient, startClient, startServer, until } from './sync-helpers'
import { tempDir } from './tmp'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function setup(limits: Parameters<typeof startServer>[1]) {
  const tmp = tempDir('stepping-sync-limits-')
  const s = await startServer(tmp.file('server.db'), limits)
  cleanups.push(() => tmp.remove(), () => s.stop())
  s.store.transact((tx) => {
    tx.insert(members, [{ user: 1, list: 1 }, { user: 1, list: 2 }, { user: 1, list: 3 }])
    tx.insert(items, { id: 'a', list: 1, text: 'a', n: 0 })
  })
  return s
}

const isDiff = (m: { type: string }): m is DiffMessage => m.type === 'diff'

describe('limits', () => {
  test('subscriptions per connection are capped with an error', async () => {
    const s = await setup({ maxSubscriptions: 2 })
    const raw = await rawClient(s.url, { token: 'user:1', clientId: 'raw' })
    cleanups.push(() => raw.close())
    for (const list of [1, 2, 3]) raw.send({ type: 'subscribe', id: `s${list}`, view: 'itemsByList', partition: list })
    expect(await raw.next((m) => m.type === 'error')).toMatchObject({ code: 'too-many-subscriptions', ref: 's3' })
    raw.send({ type: 'unsubscribe', id: 's1' })
    raw.send({ type: 'subscribe', id: 's3', view: 'itemsByList', partition: 3 })
    await raw.next((m) => isDiff(m) && m.sub === 's3')
  })

  test('the mutation rate limit answers with an error and a backoff hint; the client retries and nothing is lost', async () => {
    const s = await setup({ mutationsPerSecond: 20, mutationBurst: 5 })
    const raw = await rawClient(s.url, { token: 'user:1', clientId: 'raw' })
    cleanups.push(() => raw.close())
    raw.send({ type: 'push', clientId: 'raw', mutations: Array.from({ length: 8 }, (_, i) => ({ id: i + 1, name: 'bump', args: { id: 'a', tag: 'raw' } })) })
    const limited = await raw.next((m) => m.type === 'error')
    expect(limited).toMatchObject({ code: 'rate-limited', ref: 6, fatal: false })
    expect(limited.type === 'error' && limited.retryAfterMs! > 0).toBe(true)
    await until(() => raw.messages.filter((m) => m.type === 'ack').length === 5, 5000, 'five acks')
    expect(s.store.get(items, 'a')?.n).toBe(5)
    raw.close()

    const c = startClient(s.url, 1, [1])
    cleanups.push(() => c.client.close())
    await until(() => c.client.status === 'online')
    const statuses: string[] = []
    c.client.onStatus((status) => statuses.push(status))
    await Promise.all(Array.from({ length: 30 }, () => c.client.mutate('bump', { id: 'a', tag: 'client' })))
    expect(s.store.get(items, 'a')?.n).toBe(35)
    expect(c.store.get(items, 'a')?.n).toBe(35)
    expect(statuses).toEqual([])
  })

  test('a slow consumer gets merged diffs, never a gap', async () => {
    const s = await setup({ sendBufferBytes: 64_000, maxHeldChanges: 100_000 })
    const raw = await rawClient(s.url, { token: 'user:1', clientId: 'raw' })
    cleanups.push(() => raw.close())
    raw.send({ type: 'subscribe', id: 's1', view: 'itemsByList', partition: 1 })
    const first = (await raw.next(isDiff)) as DiffMessage
    raw.pause()
    // 300 commits of a 100 kB row while the client reads nothing: the socket buffers fill, then diffs are held and merged.
    for (let k = 0; k < 300; k++) s.store.transact((tx) => tx.update(items, 'a', { text: String(k).repeat(100_000 / String(k).length), n: k + 1 }))
    raw.resume()
    await raw.next((m) => isDiff(m) && m.to === s.store.version, 20_000)
    const diffs = raw.messages.filter(isDiff)
    expect(diffs.length).toBeLessThan(301)
    let version = first.to
    for (const d of diffs.slice(1)) {
      expect(d.from).toBe(version)
      version = d.to
    }
    expect(diffs.at(-1)!.changes.filter((c) => c.weight > 0).map((c) => c.row)).toEqual(s.store.read(itemsByList, 1))
  })

  test('a consumer past the held-changes cap is disconnected, to resume later', async () => {
    const s = await setup({ sendBufferBytes: 64_000, maxHeldChanges: 20 })
    const raw = await rawClient(s.url, { token: 'user:1', clientId: 'raw' })
    cleanups.push(() => raw.close())
    raw.send({ type: 'subscribe', id: 's1', view: 'itemsByList', partition: 1 })
    await raw.next(isDiff)
    raw.pause()
    for (let k = 0; k < 300; k++) s.store.transact((tx) => tx.update(items, 'a', { text: String(k).repeat(100_000 / String(k).length), n: k + 1 }))
    raw.resume()
    expect((await raw.closed).code).toBe(4008)
    await until(() => s.server.connections === 0, 5000, "the server to drop the connection")
  })
})

describe('heartbeat', () => {
  test('a peer that stops answering pings is dropped; one that answers stays', async () => {
    const s = await setup({ heartbeatMs: 50 })
    const silent = new WebSocket(s.url, { autoPong: false })
    const closed = new Promise<number>((resolve) => silent.on('close', (code) => resolve(code)))
    const c = startClient(s.url, 1, [1])
    cleanups.push(() => c.client.close())
    await until(() => c.client.status === 'online')
    expect(await closed).toBe(1006)
    await new Promise((r) => setTimeout(r, 200))
    expect(c.client.status).toBe('online')
    expect(s.server.connections).toBe(1)
  })
})

describe('graceful shutdown', () => {
  test('SIGTERM closes every connection with 1012, keeps every acknowledged mutation, and clients come back', { timeout: 30_000 }, async () => {
    const tmp = tempDir('stepping-sync-term-')
    cleanups.push(() => tmp.remove())
    const path = tmp.file('server.db')
    let server = await spawnServer(path, 0)
    cleanups.push(() => void server.process.kill('SIGKILL'))
    const url = `ws://127.0.0.1:${server.port}`
    const c = startClient(url, 1, [1], { onError: () => undefined })
    cleanups.push(() => c.client.close())
    const raw = await rawClient(url, { token: 'user:2', clientId: 'raw' })
    await until(() => c.client.status === 'online')
    await c.client.mutate('put', { id: 'kept', list: 1, text: 'before SIGTERM' })
    server.process.kill('SIGTERM')
    expect((await raw.closed).code).toBe(1012)
    expect(raw.messages.at(-1)).toMatchObject({ type: 'error', code: 'shutting-down' })
    expect((await server.exited).code).toBe(0)
    const store = createStore({ views: serverViews, storage: sqliteStorage(path) })
    expect(store.get(items, 'kept')).toMatchObject({ text: 'before SIGTERM' })
    store.close()
    server = await spawnServer(path, server.port)
    await until(() => c.client.status === 'online', 10_000, 'the client to come back')
    await c.client.mutate('bump', { id: 'kept', tag: 'after' })
    expect(c.store.get(items, 'kept')?.n).toBe(1)
    server.process.kill('SIGTERM')
    await server.exited
  })
})
