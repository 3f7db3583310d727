// The page of storage-idb.ts, bundled with esbuild and run in headless Chromium: fills IndexedDB through
// @stepping/storage-indexeddb and times durable commits and hydration, driven through `window.bench`.
import { createStore, type Store } from '@stepping/core'
import { indexedDbStorage } from '@stepping/storage-indexeddb'
import { USERS, issue, issues, latest, users, views } from './storage-schema'

async function open(name: string): Promise<Store> {
  const store = createStore({ views, storage: indexedDbStorage(name), checkpointEvery: 0 })
  await store.ready
  return store
}

/** What `fill` measured, in milliseconds. */
export interface FillResult {
  /** Writing the users and `n` issues in 10k-row transactions, until durable. */
  readonly fillMs: number
  /** Saving a checkpoint of every view (when asked for). */
  readonly checkpointMs: number | undefined
}

/** What `hydrate` measured, in milliseconds. */
export interface HydrateResult {
  /** `indexedDbStorage(name).load()` alone: reading every row (and the checkpoint) back. */
  readonly loadMs: number
  /** `createStore` until `ready`: load, then rebuild (or restore) every view. */
  readonly readyMs: number
  readonly rows: number
  readonly version: number
}

/** What `commits` measured. */
export interface CommitsResult {
  /** Single-row transactions made back to back, durable together (group commit): commits per second. */
  readonly groupedPerSecond: number
  /** Single-row transactions each awaited with `flush` before the next: median milliseconds per commit. */
  readonly awaitedMedianMs: number
}

const api = {
  /** A new database `name` with the users and `n` issues; a checkpoint too when `checkpoint` is set. */
  async fill(name: string, n: number, checkpoint: boolean): Promise<FillResult> {
    const t0 = performance.now()
    const store = await open(name)
    store.transact((tx) => tx.insert(users, Array.from({ length: USERS }, (_, id) => ({ id, name: `user ${id}` }))))
    for (let from = 0; from < n; from += 10_000)
      store.transact((tx) => tx.insert(issues, Array.from({ length: Math.min(10_000, n - from) }, (_, i) => issue(from + i))))
    await store.flush()
    const fillMs = performance.now() - t0
    let checkpointMs: number | undefined
    if (checkpoint) {
      const t1 = performance.now()
      await store.checkpoint()
      checkpointMs = performance.now() - t1
    }
    return { fillMs, checkpointMs }
  },

  /** Opens database `name` as a freshly loaded page would. */
  async hydrate(name: string): Promise<HydrateResult> {
    const t0 = performance.now()
    const storage = indexedDbStorage(name)
    const loaded = await storage.load()
    const loadMs = performance.now() - t0
    storage.close()
    let rows = 0
    for (const list of loaded?.collections.values() ?? []) rows += list.length
    const t1 = performance.now()
    const store = await open(name)
    const readyMs = performance.now() - t1
    if (store.read(latest).length !== 50) throw new Error('the latest view is not full')
    return { loadMs, readyMs, rows, version: store.version }
  },

  /** Durable single-row commits on database `name` (filled already). */
  async commits(name: string, count: number): Promise<CommitsResult> {
    const store = await open(name)
    const base = 10_000_000
    const t0 = performance.now()
    for (let i = 0; i < count; i++) store.transact((tx) => tx.insert(issues, issue(base + i)))
    await store.flush()
    const groupedPerSecond = (count / (performance.now() - t0)) * 1000
    const samples: number[] = []
    for (let i = 0; i < count; i++) {
      const start = performance.now()
      store.transact((tx) => tx.insert(issues, issue(base + count + i)))
      await store.flush()
      samples.push(performance.now() - start)
    }
    samples.sort((a, b) => a - b)
    return { groupedPerSecond, awaitedMedianMs: samples[Math.floor(samples.length / 2)]! }
  },
}

declare global {
  interface Window {
    bench: typeof api
  }
}
window.bench = api
