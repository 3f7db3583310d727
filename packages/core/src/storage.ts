import { keyId, type KeyId } from './key'
import type { Delta } from './zset'

/** One committed transaction as storage receives it. */
export interface CommitRecord {
  /** The store version this transaction created (previous version + 1). */
  readonly version: number
  /**
   * The input changes, per collection name. Consolidated: a key appears at most twice, as −1 with the
   * row it had before and/or +1 with the row it has after (an update is both).
   */
  readonly changes: ReadonlyMap<string, Delta<unknown>>
}

/** What a storage hands back when a store opens: every collection's rows and the version they are at. */
export interface StoredState {
  readonly version: number
  readonly collections: ReadonlyMap<string, readonly unknown[]>
}

/**
 * Where a store keeps its inputs. Core defines it; SQLite (`@stepping/sync-server`) and IndexedDB
 * (`@stepping/storage-indexeddb`) implement it, and `memoryStorage` is the embedded default.
 *
 * Contract:
 * - `load` is called once, when the store is created, and returns what the last `append` left (or
 *   undefined for a new store). The store rebuilds every view from it. A storage that must read
 *   asynchronously returns a promise: the store is then not ready (`store.ready`, `store.isReady`)
 *   until it settles, and refuses transactions meanwhile.
 * - `append` is called once per committed transaction, in version order, before any subscriber hears of
 *   it. It must persist the whole record or nothing. If it throws, the store rolls the transaction back
 *   and rethrows: the store's memory never runs ahead of what storage accepted.
 * - A storage belongs to one store at a time.
 */
export interface Storage {
  load(): StoredState | undefined | Promise<StoredState | undefined>
  append(commit: CommitRecord): void
  close?(): void
}

/** The in-memory storage: every collection's current rows and the log of every commit, for inspection. */
export interface MemoryStorage extends Storage {
  /** Every commit appended so far, oldest first. */
  readonly log: readonly CommitRecord[]
}

/**
 * Keeps inputs in memory. A second store opened on the same instance restores the first one's data,
 * which makes it the reference implementation the storage contract tests run first.
 */
export function memoryStorage(): MemoryStorage {
  const tables = new Map<string, Map<KeyId, unknown>>()
  const log: CommitRecord[] = []
  let version = 0
  return {
    log,
    load() {
      if (version === 0) return undefined
      const collections = new Map<string, unknown[]>()
      for (const [name, rows] of tables) collections.set(name, [...rows.values()])
      return { version, collections }
    },
    append(commit) {
      for (const [name, delta] of commit.changes) {
        let table = tables.get(name)
        if (table === undefined) tables.set(name, (table = new Map()))
        for (const c of delta) if (c.weight < 0) table.delete(keyId(c.key))
        for (const c of delta) if (c.weight > 0) table.set(keyId(c.key), c.row)
      }
      log.push(commit)
      version = commit.version
    },
  }
}
