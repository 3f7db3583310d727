import { MutationRejectedError } from '@stepping/core'
import { describe, expect, test } from 'vitest'
import { allTallies, items, itemsByList, members } from './fixtures/sync-app'
import { prng } from './fixtures/prng'
import { sorted, startClient, startServer, until } from './sync-helpers'
import { tempDir } from './tmp'

// 20 clients each make 200 random mutations (puts, bumps, and mutations the server rejects), while their
// connections are dropped at random. At the end every client's items equal the server's rows of the lists
// it reads, every mutation was answered, and the per-client tallies the server's `bump` keeps equal the
// number of bumps acknowledged: each applied exactly once.

const CLIENTS = 20
const MUTATIONS = 200
const LISTS = 6

describe('convergence', () => {
  test(`${CLIENTS} clients × ${MUTATIONS} mutations with random disconnects converge, each mutation applied once`, { timeout: 60_000 }, async () => {
    const seed = Date.now()
    const random = prng(seed)
    const tmp = tempDir('stepping-sync-conv-')
    const s = await startServer(tmp.file('server.db'), { mutationsPerSecond: 10_000, mutationBurst: 10_000 })
    const lists = Array.from({ length: CLIENTS }, () => {
      const mine = new Set<number>()
      while (mine.size < 2) mine.add(1 + Math.floor(random() * LISTS))
      return [...mine]
    })
    s.store.transact((tx) => {
      lists.forEach((ls, i) => tx.insert(members, ls.map((list) => ({ user: i + 1, list }))))
      for (let list = 1; list <= LISTS; list++)
        for (let k = 0; k < 5; k++) tx.insert(items, { id: `seed-${list}-${k}`, list, text: 'seed', n: 0 })
    })
    const clients = lists.map((ls, i) => startClient(s.url, i + 1, ls))
    const stats = { ok: 0, rejected: 0, disconnects: 0 }
    const bumps = new Map<string, number>()
    try {
      await until(() => clients.every((c) => c.client.status === 'online'), 10_000, 'every client online')
      const run = async (i: number) => {
        const { client, store } = clients[i]!
        const tag = `c${i + 1}`
        const answers: Promise<void>[] = []
        for (let m = 0; m < MUTATIONS; m++) {
          const r = random()
          const mine = store.read(items)
          let answer: Promise<void>
          if (r < 0.05) answer = client.mutate('fail', undefined as never)
          else if (r < 0.3 || mine.length === 0) {
            const list = lists[i]![Math.floor(random() * lists[i]!.length)]!
            answer = client.mutate('put', { id: `${tag}-${m % 40}`, list, text: `v${m}` })
          } else {
            const item = mine[Math.floor(random() * mine.length)]!
            answer = client.mutate('bump', { id: item.id, tag }).then(() => void bumps.set(tag, (bumps.get(tag) ?? 0) + 1))
          }
          answers.push(
            answer.then(
              () => void stats.ok++,
              (e: unknown) => {
                if (!(e instanceof MutationRejectedError)) throw e
                stats.rejected++
              },
            ),
          )
          if (random() < 0.03) {
            stats.disconnects++
            client.disconnect()
          }
          if (random() < 0.3) await new Promise((r) => setTimeout(r, random() * 4))
        }
        await Promise.all(answers)
      }
      await Promise.all(clients.map((_, i) => run(i)))
      await until(
        () =>
          clients.every(
            ({ client, store }, i) =>
              client.pendingCount === 0 &&
              JSON.stringify(sorted(store.read(items))) === JSON.stringify(sorted(lists[i]!.flatMap((l) => s.store.read(itemsByList, l)))),
          ),
        20_000,
        'every client to converge',
      )
      const tallies = new Map(s.store.read(allTallies).map((t) => [t.id, t.count]))
      expect(tallies).toEqual(bumps)
      const totalN = s.store.read(items).reduce((n, item) => n + item.n, 0)
      expect(totalN).toBe([...bumps.values()].reduce((a, b) => a + b, 0))
      expect(stats.ok + stats.rejected).toBe(CLIENTS * MUTATIONS)
      expect(stats.disconnects).toBeGreaterThan(0)
      for (const c of clients) expect(c.errors.filter((e) => e.name !== 'SyncError' || !/protocol-violation/.test(String((e as { code?: string }).code)))).toEqual([])
      console.log(`convergence: ${stats.ok} applied, ${stats.rejected} rejected, ${stats.disconnects} disconnects, version ${s.store.version} (seed ${seed})`)
    } catch (error) {
      throw new Error(`convergence failed (seed ${seed}): ${String(error)}`, { cause: error })
    } finally {
      for (const c of clients) c.client.close()
      await s.stop()
      tmp.remove()
    }
  })
})
