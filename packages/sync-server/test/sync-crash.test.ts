import { createStore, MutationRejectedError } from '@stepping/core'
import { describe, expect, test } from 'vitest'
import { sqliteStorage } from '../src/index'
import { allTallies, items, itemsByList, serverViews } from './fixtures/sync-app'
import { prng } from './fixtures/prng'
import { spawnServer, type ServerProcess } from './sync-process'
import { sorted, startClient, until } from './sync-helpers'
import { tempDir } from './tmp'

// The server runs in a child process on a SQLite file and is SIGKILLed at random moments while clients
// keep mutating; it restarts on the same port and file each time. At the end no acknowledged mutation is
// missing, none was applied twice (each bump adds one to its client's tally: tally = bumps acknowledged),
// a rejected mutation stays rejected across the kills, and every client holds the server's rows.

const KILLS = 20
const LANES = 2
const CLIENTS = 6
const IN_FLIGHT = 4

describe('crash', () => {
  test(`a server SIGKILLed ${KILLS} times mid-stream loses no acknowledged mutation and applies none twice`, { timeout: 120_000 }, async () => {
    const seed = Date.now()
    const random = prng(seed)
    const tmp = tempDir('stepping-sync-crash-')
    const stats = { kills: 0, ok: 0, rejected: 0 }
    // Two servers on two files, each killed half the times: the kills (and restarts) overlap.
    const lane = async (n: number) => {
      const path = tmp.file(`server-${n}.db`)
      let server: ServerProcess = await spawnServer(path, 0)
      const port = server.port
      const url = `ws://127.0.0.1:${port}`
      const clients = Array.from({ length: CLIENTS / LANES }, (_, i) => startClient(url, i + 1, [1, 2], { onError: () => undefined }))
      const acked = new Map<string, number>()
      let running = true
      try {
        await until(() => clients.every((c) => c.client.status === 'online'), 20_000, 'clients online')
        // Each client makes one item of its own, then bumps random items, keeping a few mutations in flight.
        await Promise.all(clients.map((c, i) => c.client.mutate('put', { id: `c${i + 1}`, list: 1 + (i % 2), text: 'x' })))
        const work = clients.map(async ({ client, store }, i) => {
          const tag = `c${i + 1}`
          const flying = new Set<Promise<void>>()
          while (running) {
            const rows = store.read(items)
            const answer =
              random() < 0.05
                ? client.mutate('fail', undefined as never).then(
                    () => Promise.reject(new Error('a failing mutator was applied')),
                    (e: unknown) => {
                      if (!(e instanceof MutationRejectedError)) throw e
                      stats.rejected++
                    },
                  )
                : client.mutate('bump', { id: rows[Math.floor(random() * rows.length)]!.id, tag }).then(() => {
                    acked.set(tag, (acked.get(tag) ?? 0) + 1)
                    stats.ok++
                  })
            const tracked = answer.finally(() => flying.delete(tracked))
            flying.add(tracked)
            if (flying.size >= IN_FLIGHT) await Promise.race(flying)
            await new Promise((r) => setTimeout(r, random() * 5))
          }
          await Promise.all(flying)
        })
        for (let k = 0; k < KILLS / LANES; k++) {
          await new Promise((r) => setTimeout(r, 150 + random() * 350))
          server.process.kill('SIGKILL')
          const { signal } = await server.exited
          expect(signal).toBe('SIGKILL')
          stats.kills++
          server = await spawnServer(path, port)
        }
        running = false
        await Promise.all(work)
        // Shut down gracefully, then read the file the server left.
        server.process.kill('SIGTERM')
        expect((await server.exited).code).toBe(0)
        const store = createStore({ views: serverViews, storage: sqliteStorage(path) })
        try {
          const tallies = new Map(store.read(allTallies).map((t) => [t.id, t.count]))
          expect(tallies).toEqual(acked)
          const expected = JSON.stringify(sorted([...store.read(itemsByList, 1), ...store.read(itemsByList, 2)]))
          for (const c of clients) expect(JSON.stringify(sorted(c.store.read(items)))).toBe(expected)
        } finally {
          store.close()
        }
      } finally {
        running = false
        for (const c of clients) c.client.close()
        server.process.kill('SIGKILL')
      }
    }
    try {
      await Promise.all(Array.from({ length: LANES }, (_, n) => lane(n)))
      expect(stats.kills).toBe(KILLS)
      expect(stats.ok).toBeGreaterThan(KILLS)
      console.log(`crash: ${stats.kills} kills, ${stats.ok} bumps acknowledged, ${stats.rejected} rejections (seed ${seed})`)
    } catch (error) {
      throw new Error(`crash test failed (seed ${seed}): ${String(error)}`, { cause: error })
    } finally {
      tmp.remove()
    }
  })
})
