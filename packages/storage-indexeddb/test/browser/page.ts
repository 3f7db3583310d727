// Bundled with esbuild (with 'vitest' aliased to ./harness) and served to headless Chromium by
// ../browser.test.ts: the storage contract suite against real IndexedDB, and what the Node side drives
// through `window.stepping`: stores in two tabs, and a commit that meets a tiny quota.
import { collection, createStore, sum, view, type Store } from '@stepping/core'
import { storageContract } from '../../../core/test/storage-contract'
import { indexedDbStorage, indexedDbSyncPersistence } from '../../src/index'
import { indexedDbFixture } from '../fixture'
import { expect, run, type Outcome } from './harness'

let databases = 0
storageContract('indexedDbStorage (Chromium)', () => indexedDbFixture(`contract-${Date.now()}-${++databases}`))

interface Line {
  readonly id: number
  readonly order: string
  readonly amount: number
  readonly note: string
}
const lines = collection<Line>('lines', { key: 'id' })
const totals = view('totals', lines.groupBy((l) => l.order, { total: sum((l) => l.amount) }))

/** A store's version and totals, as plain data for `page.evaluate`. */
interface Snapshot {
  readonly version: number
  readonly totals: readonly { readonly key: string; readonly total: number }[]
}

let store: Store | undefined
const opened = (): Store => {
  if (store === undefined) throw new Error('open a store first')
  return store
}
const snapshot = (): Snapshot => ({ version: opened().version, totals: [...opened().read(totals)].sort((a, b) => (a.key < b.key ? -1 : 1)) })

let seed = 0x9e3779b9
const random = (size: number): string => {
  const chars: string[] = []
  for (let i = 0; i < size; i++) {
    seed ^= seed << 13
    seed ^= seed >>> 17
    seed ^= seed << 5
    chars.push(String.fromCharCode(33 + ((seed >>> 0) % 90)))
  }
  return chars.join('')
}

const api = {
  /** Runs the storage contract suite; every test's outcome. */
  contract: (): Promise<Outcome[]> => run(),
  /** The message of a failing assertion, to show the in-page `expect` does fail. */
  failing(): string {
    try {
      expect({ a: [1, new Date(0)] }).toEqual({ a: [1, new Date(1)] })
    } catch (error) {
      return (error as Error).message
    }
    return 'passed'
  },
  /** Opens a store on the IndexedDB database `name`. */
  async open(name: string): Promise<Snapshot> {
    store = createStore({ views: [totals], storage: indexedDbStorage(name) })
    await store.ready
    return snapshot()
  },
  /**
   * Inserts `count` lines of `amount` into order `order`, each with a note of `noteSize` random characters
   * (random, so that IndexedDB cannot compress them away), and waits until durable.
   */
  async insert(from: number, count: number, order: string, amount: number, noteSize = 1): Promise<{ snapshot: Snapshot; error?: { name: string; message: string; cause?: string } }> {
    const rows = Array.from({ length: count }, (_, i) => ({ id: from + i, order, amount, note: random(noteSize) }))
    opened().transact((tx) => tx.insert(lines, rows))
    try {
      await opened().flush()
      return { snapshot: snapshot() }
    } catch (error) {
      const e = error as Error
      return { snapshot: snapshot(), error: { name: e.name, message: e.message, ...(e.cause instanceof Error ? { cause: e.cause.name } : {}) } }
    }
  },
  snapshot,
  /**
   * Opens `indexedDbSyncPersistence(name)`, writes a client id and one pending mutation numbered `id`
   * when this tab owns the database, and returns whether it does and what loading it gives.
   */
  async syncPersistence(name: string, clientId: string, id: number): Promise<{ owner: boolean; loaded: unknown }> {
    const persistence = indexedDbSyncPersistence(name)
    const owner = await persistence.owner
    const before = await persistence.load()
    if (before === undefined) await persistence.write({ clientId, lastMutationId: id, addPending: [{ id, name: 'like', args: { by: clientId } }] })
    return { owner, loaded: (await persistence.load()) ?? null }
  },
  close(): void {
    opened().close()
    store = undefined
  },
}

declare global {
  interface Window {
    stepping: typeof api
  }
}
window.stepping = api
