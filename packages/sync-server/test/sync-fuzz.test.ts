import { afterEach, describe, expect, test } from 'vitest'
import superjson from 'superjson'
import { items, itemsByList, members } from './fixtures/sync-app'
import { prng } from './fixtures/prng'
import { rawClient, sorted, startClient, startServer, until, type RawClient } from './sync-helpers'
import { tempDir } from './tmp'

// Malformed, oversized, unknown and unauthorised frames from several connections, while a well-behaved
// client works on the same server. Every bad frame gets an error of its own kind, on its own connection;
// the server keeps serving, and the good client's results are exactly what its own mutations make.

const FRAMES = 10_000
const CONNECTIONS = 4
const BATCH = 250
const MAX_BYTES = 16_384

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

type Frame = { frame: string | Buffer; code: string }

function generator(random: () => number) {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!
  const word = () => random().toString(36).slice(2, 3 + Math.floor(random() * 8))
  const sj = (value: unknown) => superjson.stringify(value)
  let sub = 0
  const kinds: (() => Frame)[] = [
    () => ({ frame: pick(['{', '}{', 'nul', '[1,', '"open', '{"json":', '\u0000\u0001', 'ü{{']) + word(), code: 'bad-message' }),
    () => ({ frame: pick(['42', 'null', '"str"', '[1,2]', '{"type":"ping","nonce":1}', '{}']), code: 'bad-message' }),
    () => ({ frame: sj(pick<unknown>([5, 'x', null, [], true])), code: 'bad-message' }),
    () => ({
      frame: sj(
        pick<unknown>([
          { type: 'subscribe', id: 5, view: 'itemsByList' },
          { type: 'subscribe', id: '', view: 'itemsByList', partition: 3 },
          { type: 'subscribe', id: 'x', view: 7 },
          { type: 'subscribe', id: 'x', view: 'itemsByList', partition: { no: 1 } },
          { type: 'subscribe', id: 'x', view: 'itemsByList', partition: 3, version: -1 },
          { type: 'subscribe', id: 'x'.repeat(200), view: 'itemsByList', partition: 3 },
          { type: 'unsubscribe' },
          { type: 'push', clientId: 'fuzz', mutations: 'many' },
          { type: 'push', clientId: 'fuzz', mutations: [{ id: -1, name: 'bump' }] },
          { type: 'push', clientId: 'fuzz', mutations: [{ id: 1.5, name: 'bump' }] },
          { type: 'push', clientId: 'fuzz', mutations: [null] },
          { type: 'push', mutations: [] },
          { type: 'ping', nonce: 'a' },
          { type: 'ping' },
          { type: 'hello', protocol: '1', token: 'user:3', clientId: 'fuzz' },
          { type: 'hello', protocol: 1, token: 3, clientId: 'fuzz' },
          { type: 7 },
          { typ: 'ping', nonce: 1 },
        ]),
      ),
      code: 'bad-message',
    }),
    () => ({ frame: sj({ type: `x-${word()}`, payload: word() }), code: 'unknown-type' }),
    () => {
      const levels = 65 + Math.floor(random() * 2000)
      return { frame: '{"json":' + '['.repeat(levels) + ']'.repeat(levels) + '}', code: 'too-deep' }
    },
    () => ({ frame: sj({ type: 'ping', nonce: 1, pad: 'x'.repeat(MAX_BYTES + Math.floor(random() * 1000)) }), code: 'too-large' }),
    () => ({ frame: sj({ type: 'push', clientId: pick(['good-client', 'someone-else', 'fuzz-other']), mutations: [{ id: 1, name: 'bump', args: { id: 'g0', tag: 'evil' } }] }), code: 'wrong-client' }),
    () => ({ frame: sj({ type: 'subscribe', id: `f${++sub}`, view: 'itemsByList', partition: pick([1, 2, 4, 99]) }), code: 'forbidden' }),
    () => ({ frame: sj({ type: 'subscribe', id: `u${++sub}`, view: pick(['nope', 'items', 'allTallies', '__proto__', 'constructor']), partition: 1 }), code: 'unknown-view' }),
    () => ({ frame: sj({ type: 'unsubscribe', id: `never-${++sub}` }), code: 'unknown-subscription' }),
    () => ({ frame: sj({ type: 'subscribe', id: `n${++sub}`, view: 'itemsByList' }), code: 'bad-message' }),
    () => ({ frame: sj({ type: 'hello', protocol: 1, token: 'user:3', clientId: 'fuzz' }), code: 'sequence' }),
    () => ({ frame: Buffer.from([1, 2, 3, Math.floor(random() * 255)]), code: 'bad-message' }),
  ]
  return () => pick(kinds)()
}

describe('bad input', () => {
  test(`${FRAMES} malformed frames each get an error; the server and a well-behaved client carry on`, { timeout: 90_000 }, async () => {
    const seed = Date.now()
    const random = prng(seed)
    const tmp = tempDir('stepping-sync-fuzz-')
    const s = await startServer(tmp.file('server.db'), { maxMessageBytes: MAX_BYTES })
    cleanups.push(() => tmp.remove(), () => s.stop())
    s.store.transact((tx) => {
      tx.insert(members, [{ user: 1, list: 1 }, { user: 3, list: 3 }])
      tx.insert(items, [{ id: 'g0', list: 1, text: 'good', n: 0 }, { id: 'f0', list: 3, text: 'fuzzed', n: 0 }])
    })
    const fuzzRows = s.store.read(itemsByList, 3)
    const good = startClient(s.url, 1, [1])
    cleanups.push(() => good.client.close())
    await until(() => good.client.status === 'online' && good.store.read(items).length === 1)
    const next = generator(random)
    const counts = new Map<string, number>()
    const fuzz = async (n: number) => {
      const raw: RawClient = await rawClient(s.url, { token: 'user:3', clientId: `fuzz-${n}` })
      cleanups.push(() => raw.close())
      let expected: string[] = []
      for (let sent = 0; sent < FRAMES / CONNECTIONS; sent += BATCH) {
        const start = raw.messages.length
        expected = []
        for (let i = 0; i < BATCH; i++) {
          const { frame, code } = next()
          expected.push(code)
          counts.set(code, (counts.get(code) ?? 0) + 1)
          raw.sendFrame(frame)
        }
        await until(() => raw.messages.length - start >= BATCH, 20_000, `answers to batch at ${sent} on connection ${n}`)
        const answers = raw.messages.slice(start)
        expect(answers.map((m) => (m.type === 'error' ? m.code : m.type))).toEqual(expected)
      }
    }
    const goodWork = async () => {
      for (let k = 0; k < 50; k++) {
        await good.client.mutate('bump', { id: 'g0', tag: 'good' })
        if (k % 10 === 0) await good.client.mutate('put', { id: `g${k}`, list: 1, text: `good ${k}` })
      }
    }
    await Promise.all([...Array.from({ length: CONNECTIONS }, (_, n) => fuzz(n)), goodWork()])
    // Fatal cases, each on a connection of its own: a refused token, an unknown protocol, a frame past ws's hard cap.
    const badToken = await rawClient(s.url)
    badToken.send({ type: 'hello', protocol: 1, token: 'forged', clientId: 'x' })
    expect(await badToken.next((m) => m.type === 'error')).toMatchObject({ code: 'unauthenticated', fatal: true })
    expect((await badToken.closed).code).toBe(4001)
    const badProtocol = await rawClient(s.url)
    badProtocol.send({ type: 'hello', protocol: 99, token: 'user:3', clientId: 'x' })
    expect(await badProtocol.next((m) => m.type === 'error')).toMatchObject({ code: 'protocol', fatal: true })
    const beforeHello = await rawClient(s.url)
    beforeHello.send({ type: 'subscribe', id: 's', view: 'itemsByList', partition: 3 })
    expect(await beforeHello.next((m) => m.type === 'error')).toMatchObject({ code: 'sequence' })
    beforeHello.close()
    const huge = await rawClient(s.url, { token: 'user:3', clientId: 'huge' })
    huge.sendFrame('x'.repeat(MAX_BYTES * 5))
    expect((await huge.closed).code).toBe(1009)
    const otherOwner = await rawClient(s.url)
    otherOwner.send({ type: 'hello', protocol: 1, token: 'user:3', clientId: good.client.clientId })
    expect(await otherOwner.next((m) => m.type === 'error')).toMatchObject({ code: 'wrong-client', fatal: true })

    await until(() => good.client.pendingCount === 0)
    expect(s.store.get(items, 'g0')?.n).toBe(50)
    expect(sorted(good.store.read(items))).toEqual(sorted(s.store.read(itemsByList, 1)))
    expect(s.store.read(itemsByList, 3)).toEqual(fuzzRows)
    expect(good.errors).toEqual([])
    const after = await rawClient(s.url, { token: 'user:1', clientId: 'after' })
    after.close()
    const total = [...counts.values()].reduce((a, b) => a + b, 0)
    expect(total).toBe(FRAMES)
    console.log(`fuzz: ${total} frames (seed ${seed}): ${[...counts].map(([k, v]) => `${k} ${v}`).join(', ')}`)
  })
})
